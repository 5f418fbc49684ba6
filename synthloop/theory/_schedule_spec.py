"""The one grammar of schedule strings, at the theory's level so that ``theory`` and ``schedules`` share it.

``theory`` imports nothing above it; :mod:`synthloop.schedules` builds its schedule objects from
what :func:`parse_schedule_string` returns, and :func:`synthloop.theory.collapses` decides collapse
from the same parse.
"""

#: Each family's parameters and their defaults (None: the real table's size for ``n``).
DEFAULTS = {
    "constant": {"n": None},
    "linear": {"n": None},
    "polynomial": {"power": 1.5, "n": None},
    "geometric": {"ratio": 2.0, "n": None},
}
#: The parameter a bare value sets: ``"polynomial:2"`` is ``power=2``.
MAIN_PARAMETER = {"constant": "n", "linear": "n", "polynomial": "power", "geometric": "ratio"}

GRAMMAR = (
    "'family' or 'family:value' or 'family:key=value[,key=value]' with family in "
    "{'constant', 'linear', 'polynomial', 'geometric'}; the bare value is n for "
    "constant/linear, power for polynomial, ratio for geometric "
    "(e.g. 'constant:500', 'polynomial:2', 'geometric:1.5', 'polynomial:power=2,n=50')"
)


def _parse_number(text, key, spec):
    text = text.strip()
    try:
        return int(text) if key == "n" else float(text)
    except ValueError:
        kind = "an integer" if key == "n" else "a number"
        raise ValueError(f"Cannot parse schedule {spec!r}: {key} must be {kind}, got {text!r}. "
                         f"Expected {GRAMMAR}.") from None


def parse_schedule_string(spec):
    """``(family, {parameter: value})`` of a schedule string; only the parameters it names.

    Case and spaces are ignored. Values are parsed, not range-checked (the
    schedule objects and the theory check the ranges they need).

    Examples
    --------
    >>> from synthloop.theory._schedule_spec import parse_schedule_string
    >>> parse_schedule_string("Polynomial: power=2, n=50")
    ('polynomial', {'power': 2.0, 'n': 50})
    >>> parse_schedule_string("constant:500")
    ('constant', {'n': 500})
    """
    family, _, rest = spec.strip().lower().partition(":")
    family = family.strip()
    if family not in DEFAULTS:
        raise ValueError(f"Unknown schedule {spec!r}; valid options are {sorted(DEFAULTS)} (as {GRAMMAR}), "
                         "a BaseSchedule instance or a callable.")
    params = {}
    if rest.strip():
        for i, item in enumerate(rest.split(",")):
            key, eq, val = item.partition("=")
            if not eq:
                if i != 0:
                    raise ValueError(f"Cannot parse schedule {spec!r}: only the first value may omit its key. "
                                     f"Expected {GRAMMAR}.")
                key, val = MAIN_PARAMETER[family], item
            key = key.strip()
            if key not in DEFAULTS[family]:
                raise ValueError(f"Cannot parse schedule {spec!r}: the {family} schedule has no parameter "
                                 f"{key!r}; valid keys are {sorted(DEFAULTS[family])}.")
            params[key] = _parse_number(val, key, spec)
    return family, params
