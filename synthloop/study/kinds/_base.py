"""What a study kind is: its keys, its cells, how one cell runs, its smoke caps and its report section.

A kind's module defines ``KIND = StudyKind(...)`` and the registry
(``study/kinds/__init__.py``) lists it; config loading, the runner and the
report find a kind there by its name, the config's ``kind`` key. A cell is a
dict with a ``cell_id`` (its file name in the results store) and its
parameters, seeds included: it depends only on them, never on which worker
runs it or when, so any cell can be re-run alone and give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ...utils._random import child_seed as _root_child_seed

__all__ = ["StudyKind", "cell_id", "child_seed"]


@dataclass(frozen=True)
class StudyKind:
    """One kind of study (the value of a config's ``kind`` key).

    Attributes
    ----------
    name : str
        The config's ``kind``.
    schema : dict
        ``key -> (validator, required)`` of the kind's own keys, in the words
        of ``study/_schema.py``; the keys every study has (``name``, ``kind``,
        ``description``, ``seeds``) are added by ``study/_config.py``.
    expand : callable
        ``expand(data) -> list of cells`` of a validated config dict.
    run : callable
        ``run(cell, payload, data) -> DataFrame``, the rows of one cell.
    smoke : callable
        ``smoke(data) -> str``: caps the sizes of a copy of a config dict in
        place (``synthloop run --smoke``) and says what is left of them.
    run_size : callable
        ``run_size(results) -> str``: what the stored results hold, in the
        kind's words, after the seeds (the report's "This run" line).
    report : callable
        ``report(results, config, report_dir, plt) -> list of str``: the
        HTML parts of the kind's report section (figures saved in
        ``report_dir``).
    prepare : callable or None, default=None
        ``prepare(data, cells) -> (cell -> payload)``, run once in the parent
        before any cell (it loads tables, so a bad file fails before any
        work); None ships an empty payload.
    check : callable or None, default=None
        ``check(data, source)``: checks across keys of a validated config,
        raising :class:`~synthloop.exceptions.ConfigError`.
    """

    name: str
    schema: dict
    expand: Callable
    run: Callable
    smoke: Callable
    run_size: Callable
    report: Callable
    prepare: Callable | None = None
    check: Callable | None = None


def child_seed(seed, *keys):
    """The seed of a cell's stream ``keys`` under the study seed ``seed``.

    Every key by its text (a generation index too), as the stored studies were seeded.

    Examples
    --------
    >>> from synthloop.study.kinds._base import child_seed
    >>> child_seed(0, "adult", "split") == child_seed(0, "adult", "split") != child_seed(1, "adult", "split")
    True
    """
    return _root_child_seed(int(seed), *map(str, keys))


def _slug(text):
    return re.sub(r"[^A-Za-z0-9._=-]+", "-", str(text)).strip("-")


def cell_id(*parts):
    """The id of a cell (its file name in the results store) from its parts.

    Examples
    --------
    >>> from synthloop.study.kinds._base import cell_id
    >>> cell_id("adult", "copula", "polynomial:power=2", "replace", "seed0")
    'adult__copula__polynomial-power=2__replace__seed0'
    """
    return "__".join(_slug(p) for p in parts)
