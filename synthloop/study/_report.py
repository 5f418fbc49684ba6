"""make_report: an HTML page and PNG figures drawn from stored results only."""

from __future__ import annotations

import html
import json
from pathlib import Path

from ..utils._optional import import_optional
from ._store import ResultsStore
from .kinds import KINDS

__all__ = ["make_report"]

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3} td.l,th.l{text-align:left}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:0.85em}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
"""


def _plt():
    matplotlib = import_optional("matplotlib", owner="make_report", extra="study")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def make_report(out_dir, report_dir=None):
    """Write an HTML report of a study from its stored results.

    Nothing is rerun: the figures and tables are drawn from the Parquet files
    of the results directory, so a report can be redrawn at any time (also
    of a partial run: it shows the cells stored so far).

    Parameters
    ----------
    out_dir : str or path
        A results directory written by :func:`run_study`.
    report_dir : str or path, default=None
        Where to write ``index.html`` and the PNG figures beside it;
        default ``<out_dir>/report``.

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> from synthloop.study import make_report, run_study
    >>> cfg = {"name": "demo", "kind": "gaussian", "seeds": [0], "n0": 100, "n_reps": 200,
    ...        "generations": [5, 10], "schedules": ["constant", "linear"], "ddofs": [1]}
    >>> out = tempfile.mkdtemp()
    >>> _ = run_study(cfg, out, progress=False)
    >>> make_report(out).name
    'index.html'
    """
    store = ResultsStore(out_dir)
    results = store.read()
    meta = store.meta
    report_dir = Path(report_dir) if report_dir is not None else store.path / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    plt = _plt()
    config_text = (store.path / "config.toml").read_text(encoding="utf-8") \
        if (store.path / "config.toml").is_file() else json.dumps(meta["config"], indent=2)
    parts = [f"<h1>Study {html.escape(meta['name'])}</h1>",
             f"<p>{html.escape(meta['config'].get('description', ''))}</p>",
             f"<p>This run: {html.escape(_run_size(results, meta))}.</p>",
             f"<p>Config hash <code>{meta['config_hash']}</code>; {results['cell_id'].nunique() if len(results) else 0}"
             f" cells stored; versions: {html.escape(', '.join(f'{k} {v}' for k, v in meta['versions'].items()))}."
             "</p>"]
    if results.empty:
        parts.append("<p><b>No cell is stored yet.</b></p>")
    else:
        parts.extend(KINDS[meta["kind"]].report(results, meta["config"], report_dir, plt))
    parts.append("<h2>Config</h2><pre>" + html.escape(config_text) + "</pre>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(meta['name'])}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")
    index = report_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _run_size(results, meta):
    """What the stored results hold, in the words of the study's kind (a smoke run says it is small)."""
    if results.empty:
        return "no cell stored"
    seeds = sorted(results["seed"].unique())
    text = f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({', '.join(map(str, seeds))})"
    return f"{text}, {KINDS[meta['kind']].run_size(results)}"
