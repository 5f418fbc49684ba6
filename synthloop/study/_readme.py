"""Numbers of a README written from stored results, between markers.

A README quotes a result as ``<!-- name -->0.863<!-- /name -->`` inside a
sentence, or a table between a ``<!-- name -->`` line and a ``<!-- /name -->``
line. A script computes ``{name: text}`` from the stored results and
:func:`fill_markers` rewrites what lies between each pair of markers, so a
rerun that moves a number moves it in the README too, and a test that fills
the README from the stored results and finds it unchanged proves that every
marked number is the stored one. The markers are HTML comments: rendered
Markdown does not show them.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["StaleClaimError", "claim", "fill_markers", "load_experiment", "marker_names", "markdown_table",
           "readme_main", "refresh_experiment", "update_readme", "write_results_csv"]

_MARKER = re.compile(r"<!-- (?P<name>[^/<>\s][^<>]*?) -->(?P<body>.*?)<!-- /(?P=name) -->", re.S)
# In Markdown a line that starts with an HTML comment interrupts the paragraph: an inline marker needs
# text before it on its line (a block marker stands alone on its line).
_LINE_START = re.compile(r"^[ \t]*<!-- [^/][^<>]*? -->[ \t]*\S", re.M)


def marker_names(text):
    """The names of the markers of ``text``, in order of first appearance.

    Examples
    --------
    >>> from synthloop.study._readme import marker_names
    >>> marker_names("AUC <!-- auc -->0.86<!-- /auc --> at <!-- T -->10<!-- /T -->.")
    ['auc', 'T']
    """
    return list(dict.fromkeys(m["name"] for m in _MARKER.finditer(text)))


def fill_markers(text, values, *, where="README"):
    """``text`` with the body of every marker replaced by ``values[name]``.

    Parameters
    ----------
    text : str
    values : dict of str to str
        One entry per marker of ``text``, no more: a marker without a value
        and a value without a marker are both errors (a number the script no
        longer writes, or one the README no longer quotes).
    where : str, default="README"
        Named in the error messages.

    Returns
    -------
    str

    Examples
    --------
    >>> from synthloop.study._readme import fill_markers
    >>> fill_markers("AUC <!-- auc -->?<!-- /auc -->.", {"auc": "0.863"})
    'AUC <!-- auc -->0.863<!-- /auc -->.'
    """
    bad = [m.group(0).strip() for m in _LINE_START.finditer(text)]
    if bad:
        raise ValueError(f"{where}: a line starts with an inline marker ({bad[0]!r}...), which breaks its "
                         "Markdown paragraph; put text before it on the line.")
    names = marker_names(text)
    missing = [n for n in names if n not in values]
    unused = [n for n in values if n not in names]
    if missing or unused:
        raise ValueError(f"{where}: markers without a value {missing}; values without a marker {unused}.")
    return _MARKER.sub(lambda m: f"<!-- {m['name']} -->{values[m['name']]}<!-- /{m['name']} -->", text)


def update_readme(path, values):
    """Fill the markers of the file ``path`` from ``values``; return whether it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = fill_markers(text, values, where=str(path))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


class StaleClaimError(AssertionError):
    """A README says in words what its stored results no longer show."""


def claim(ok, text):
    """Stop a README script when the stored results no longer support a sentence of the README.

    Examples
    --------
    >>> from synthloop.study._readme import claim
    >>> claim(0.01 < 0.02, "the loss is below 0.02")
    >>> claim(False, "every run collapses")
    Traceback (most recent call last):
    ...
    synthloop.study._readme.StaleClaimError: the README says 'every run collapses', which the stored ...
    """
    if not ok:
        raise StaleClaimError(f"the README says {text!r}, which the stored results no longer show; rewrite it.")


def markdown_table(frame):
    """A DataFrame as a Markdown table (every cell through ``str``).

    Examples
    --------
    >>> import pandas as pd
    >>> from synthloop.study._readme import markdown_table
    >>> print(markdown_table(pd.DataFrame({"a": [1], "b": ["x"]})))
    | a | b |
    |---|---|
    | 1 | x |
    """
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write_results_csv(results_dir, path, columns=None):
    """Store the ``columns`` of a results directory as a CSV beside a README; return the frame.

    ``columns=None`` keeps every column but the cell timings and the versions
    of packages other than synthloop.

    The rows (one per stored cell and generation) are sorted by ``cell_id`` and
    generation, and always carry ``config_hash`` and the synthloop version, so
    a test can tell results of another config from the README's.
    """
    from ._store import read_results

    results, _ = read_results(results_dir)
    if columns is None:  # all but the timings and the versions of other packages
        columns = [c for c in results.columns if not c.startswith("version:") and c != "cell_seconds"]
    keep = [c for c in ["cell_id", *columns, "config_hash", "version:synthloop"] if c in results.columns]
    frame = results[list(dict.fromkeys(keep))].sort_values(["cell_id", "generation"], kind="stable")
    frame.to_csv(path, index=False, float_format="%.10g")
    return frame


def refresh_experiment(folder, results_dir, *, readmes, numbers, figures=None, columns=None, from_csv=False):
    """What an ``experiments/<name>/readme.py`` does: results.csv, figures and README numbers.

    Parameters
    ----------
    folder : path
        The experiment's folder (``results.csv``, ``config.toml``, the figures).
    results_dir : path
        The results directory of the study (``results/<name>``).
    readmes : dict of str to path
        The READMEs, by the keys of what ``numbers`` returns.
    numbers : callable
        ``numbers(frame, config) -> {key: {marker: text}}``, from the stored
        results as read back from ``results.csv`` and the validated config.
    figures : dict of str to str, default=None
        Report figure name -> file name in ``folder``, copied from a fresh
        report of ``results_dir``.
    columns : list of str, default=None
        Passed to :func:`write_results_csv`.
    from_csv : bool, default=False
        Only refill the READMEs from the ``results.csv`` already stored.
    """
    import shutil
    import tempfile

    from ._report import make_report

    folder = Path(folder)
    if not from_csv:
        write_results_csv(results_dir, folder / "results.csv", columns)
        with tempfile.TemporaryDirectory() as tmp:
            make_report(results_dir, tmp)
            for src, dst in (figures or {}).items():
                shutil.copyfile(Path(tmp) / src, folder / dst)
    for key, values in numbers(*load_experiment(folder)).items():
        print(f"{readmes[key]}: {'updated' if update_readme(readmes[key], values) else 'unchanged'}")


def load_experiment(folder):
    """An experiment folder's ``results.csv`` and validated ``config.toml``: what its README numbers come from.

    Returns
    -------
    frame : pandas.DataFrame
    config : dict
        The config's data, as :func:`~synthloop.study.load_config` validates it.
    """
    import pandas as pd

    from ._config import load_config

    folder = Path(folder)
    return pd.read_csv(folder / "results.csv"), load_config(folder / "config.toml").data


def readme_main(folder, doc, argv=None, **refresh):
    """The command line of a study's ``experiments/<name>/readme.py``: :func:`refresh_experiment` of ``folder``.

    ``--results`` names the study's results (default ``results/<name>`` at the
    repository root); ``--from-csv`` only refills the READMEs from the stored
    ``results.csv``. ``doc`` is the script's docstring (its first line is the
    help's description); ``refresh`` goes to :func:`refresh_experiment`.
    Returns the exit code.
    """
    import argparse

    folder = Path(folder)
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--results", default=str(folder.parents[1] / "results" / folder.name))
    parser.add_argument("--from-csv", action="store_true", help="only refill the READMEs from results.csv")
    args = parser.parse_args(argv)
    refresh_experiment(folder, args.results, from_csv=args.from_csv, **refresh)
    return 0
