"""The study kinds: one module each, one line each in :data:`KINDS`.

A kind's module (``_recursive.py``, ``_gaussian.py``, ``_categorical.py``)
holds its config keys, its cells, how one cell runs, its smoke caps and its
report section, as a :class:`~synthloop.study.kinds._base.StudyKind`; config
loading (``study/_config.py``), the runner (``study/_run.py``) and the report
(``study/_report.py``) look a config's ``kind`` up here and nowhere else.
"""

from ._base import StudyKind
from ._categorical import KIND as _CATEGORICAL
from ._gaussian import KIND as _GAUSSIAN
from ._recursive import KIND as _RECURSIVE

__all__ = ["KINDS", "StudyKind"]

#: name -> StudyKind, in the order the valid kinds are listed in messages.
KINDS = {kind.name: kind for kind in (
    _RECURSIVE,
    _GAUSSIAN,
    _CATEGORICAL,
)}
