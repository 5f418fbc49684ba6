"""Sphinx configuration for synthloop (numpydoc, autosummary, warnings are errors in CI)."""

import synthloop

project = "synthloop"
author = "synthloop developers"
copyright = "2026, synthloop developers"
release = synthloop.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
# Offline builds: intersphinx inventories are not fetched (no network at run time).
intersphinx_mapping = {}
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "alabaster"
nitpicky = False
suppress_warnings = ["autosummary.import_cycle"]


def _skip_sklearn_plumbing(app, what, name, obj, skip, options):
    # scikit-learn generates set_*_request methods whose docstrings point into
    # its own glossary; they are documented there, not here.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_plumbing)
