"""Optional dependencies: imported where they are first needed, with the install that provides them."""

import importlib

__all__ = ["import_optional"]


def import_optional(module, *, owner, extra):
    """Import ``module``, or raise an ImportError naming ``owner`` needs it and the extra that installs it.

    Examples
    --------
    >>> from synthloop.utils._optional import import_optional
    >>> import_optional("numpy", owner="this example", extra="plot").__name__
    'numpy'
    >>> import_optional("no_such_module", owner="this example", extra="plot")
    Traceback (most recent call last):
    ...
    ImportError: this example needs no_such_module, which is not installed: pip install 'synthloop[plot]'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{owner} needs {module}, which is not installed: pip install 'synthloop[{extra}]'") from None
