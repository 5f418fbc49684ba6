"""The layering docs/architecture.rst describes, read from the imports of every module of synthloop/."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "synthloop"


def _imports(path):
    """``(module, names)`` of every import in ``path``, relative imports resolved to ``synthloop.*``."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(PACKAGE.parent).parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield module, [a.name for a in node.names]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_sklearn_private_api_only_through_the_compat_module(path):
    if path.name == "_sklearn_compat.py":
        return
    for module, names in _imports(path):
        private = re.match(r"sklearn(\.\w+)*\._", module) or (
            module.startswith("sklearn") and any(n.startswith("_") for n in names))
        assert not private, f"{path.name} imports sklearn's private {module} {names}: use utils._sklearn_compat"


def _layer_imports(layer):
    for path in (PACKAGE / layer).rglob("*.py"):
        for module, names in _imports(path):
            if module == "synthloop":  # ``from .. import theory``
                yield path, [f"synthloop.{n}" for n in names]
            elif module.startswith("synthloop."):
                yield path, [module]


@pytest.mark.parametrize("layer, allowed", [
    ("theory", ("synthloop.theory",)),
    ("simulate", ("synthloop.simulate", "synthloop.theory", "synthloop.schedules", "synthloop.utils",
                  "synthloop._pool_names")),
    ("evaluation", ("synthloop.evaluation", "synthloop._table", "synthloop.exceptions", "synthloop.utils")),
])
def test_lower_layers_import_nothing_above_them(layer, allowed):
    for path, modules in _layer_imports(layer):
        for module in modules:
            assert module.startswith(allowed), f"{path.relative_to(PACKAGE)} imports {module}"


def test_no_file_cites_the_theory_outside_the_repository():
    # The mathematics lives in docs/theory.rst; the team's shared notes are not part of the project.
    import subprocess

    root = PACKAGE.parent
    name = "THEORY" + ".md"
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
    citing = [f for f in files if (root / f).is_file() and name in (root / f).read_text(errors="ignore")]
    assert not citing, citing


#: The layers of docs/architecture.rst, lowest first: a module imports only from its own package or from lower
#: layers; two packages of one layer (study and advise) do not import each other.
LAYERS = [
    ["synthloop.exceptions", "synthloop.utils._random", "synthloop.utils._sklearn_compat", "synthloop.theory",
     "synthloop.utils", "synthloop._pool_names"],
    ["synthloop._table", "synthloop.datasets"],
    ["synthloop.schedules", "synthloop.pools", "synthloop.evaluation", "synthloop.sampling"],
    ["synthloop.base", "synthloop.simulate"],
    ["synthloop.generators"],
    ["synthloop.recursive"],
    ["synthloop"],
    ["synthloop.study", "synthloop.advise", "synthloop.utils.estimator_checks"],
    ["synthloop.cli"],
    ["synthloop.__main__"],
]


def _unit(module):
    """The layer entry a module belongs to (the longest prefix listed)."""
    best = None
    for layer in LAYERS:
        for unit in layer:
            if (module == unit or module.startswith(unit + ".")) and (best is None or len(unit) > len(best)):
                best = unit
    return best


def _layer(unit):
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_run_down_the_layers(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    here = _unit(".".join(parts))
    for module, names in _imports(path):
        targets = [f"synthloop.{n}" for n in names] if module == "synthloop" else [module]
        for target in targets:
            if not target.startswith("synthloop"):
                continue
            there = _unit(target)
            if there is None or there == here or target.startswith(here + "."):
                continue
            assert _layer(there) < _layer(here), (
                f"{'.'.join(parts)} (layer {_layer(here)}: {here}) imports {target} (layer {_layer(there)})")


#: Inside synthloop.study, lowest first (docs/architecture.rst, "A study kind"): a kind's module imports the
#: schema words, the report pieces and the kind contract below it, never the registry, the config loader, the
#: runner or the report that dispatch through the registry, so no import needs deferring or a function handed in.
STUDY_LAYERS = [
    ["_schema", "_html", "_store", "_bundled", "_compare", "kinds._base"],
    ["kinds._recursive_report"],
    ["kinds._recursive", "kinds._gaussian", "kinds._categorical"],
    ["kinds"],
    ["_config"],
    ["_run", "_report"],
    ["_readme"],
    [""],
]
STUDY = PACKAGE / "study"


def _study_module(path):
    parts = path.relative_to(STUDY).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _study_layer(name):
    return next((i for i, layer in enumerate(STUDY_LAYERS) if name in layer), None)


@pytest.mark.parametrize("path", sorted(STUDY.rglob("*.py")), ids=lambda p: p.relative_to(STUDY).as_posix())
def test_study_modules_import_down_their_layers(path):
    here = _study_module(path)
    assert _study_layer(here) is not None, f"study/{path.relative_to(STUDY)} is in no layer of STUDY_LAYERS"
    for module, _ in _imports(path):  # deferred imports too: a cycle may not hide inside a function
        if module != "synthloop.study" and not module.startswith("synthloop.study."):
            continue
        there = module.removeprefix("synthloop.study").removeprefix(".")
        assert _study_layer(there) is not None, f"{module} is in no layer of STUDY_LAYERS"
        assert _study_layer(there) < _study_layer(here), (
            f"study.{here} (layer {_study_layer(here)}) imports study.{there} (layer {_study_layer(there)})")
