"""The pages of the user guide run as doctests (``--doctest-glob=*.rst`` in pyproject.toml).

Their other code blocks (TOML configs, command lines) are checked by tests/test_docs_pages.py.
"""

import importlib.util

collect_ignore = ["conf.py", "conftest.py", "examples", "_build", "generated"]  # no doctests in these

# A page whose examples need a module that is missing is not collected. `make test` installs all of
# these but mostlyai.engine (the extra argn, about 2 GB): generators_argn.rst runs where it is installed.
_NEEDS = {"generators_sdv.rst": ["sdv"], "generators_argn.rst": ["mostlyai.engine"], "recursive.rst": ["imblearn", "matplotlib"]}


def _missing(module):
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # a submodule of a missing package ("mostlyai.engine" without "mostlyai")
        return True


collect_ignore += [page for page, modules in _NEEDS.items() if any(_missing(m) for m in modules)]
