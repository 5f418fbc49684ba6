"""Every number the READMEs quote from a study is the stored one.

Each ``experiments/<name>/readme.py`` computes ``{marker: text}`` from the
study's stored results (``experiments/<name>/results.csv``); a README is up to
date when filling its markers from them changes nothing. The stored results
must belong to the experiment's config as it is now (same hash).
"""

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from synthloop.study import load_config
from synthloop.study._readme import fill_markers, marker_names, readme_main

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(ROOT.glob("experiments/*/readme.py"))
# A result is quoted with two or more decimals; outside the markers only the script's CONSTANTS
# (design choices, such as the verdict margin) may appear so.
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{2,}(?![\w.])")
_MARKED = re.compile(r"<!-- (?P<name>[^/<>\s][^<>]*?) -->.*?<!-- /(?P=name) -->", re.S)


def _module(script):
    spec = importlib.util.spec_from_file_location(f"readme_{script.parent.name}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=SCRIPTS, ids=lambda p: p.parent.name)
def experiment(request):
    module = _module(request.param)
    frame, config = module.load()
    return request.param.parent, module, frame, config


def test_there_are_scripts():
    assert {p.parent.name for p in SCRIPTS} >= {"adult_recursive", "german_credit_recursive", "xu2025_gaussian",
                                                "seddik2024_categorical", "generators_adult"}


def test_stored_results_belong_to_the_config(experiment):
    folder, module, frame, _ = experiment
    current = module.config_hash() if hasattr(module, "config_hash") else load_config(folder / "config.toml").hash
    assert set(frame["config_hash"]) == {current}


def test_readme_numbers_are_the_stored_results(experiment):
    _, module, frame, config = experiment
    for key, values in module.numbers(frame, config).items():
        path = module.READMES[key]
        text = path.read_text(encoding="utf-8")
        assert marker_names(text), f"{path} has no markers"
        assert fill_markers(text, values, where=str(path)) == text, (
            f"{path} is not what {module.__file__} writes from the stored results: run it")


def test_no_unmarked_result_in_the_readmes(experiment):
    _, module, _, _ = experiment
    allowed = set(getattr(module, "CONSTANTS", ()))
    for path in module.READMES.values():
        text = _MARKED.sub("", path.read_text(encoding="utf-8"))
        # code is checked elsewhere (the README's examples are doctests) or is no result: commands,
        # schedules such as polynomial:1.5
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`]*`", "", text)
        stray = sorted(set(_DECIMAL.findall(text)) - allowed)
        assert not stray, f"{path} quotes {stray} outside its markers"


def _prose(path):
    text = _MARKED.sub("", path.read_text(encoding="utf-8"))
    return re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def test_advisor_validation_counts_are_marked():
    # Its prose quotes pass counts (21/30), row counts (44,032) and shares (78%) as well as decimals:
    # each one is written by its readme.py; only the intervals' level is a constant.
    path = ROOT / "experiments" / "advisor_validation" / "README.md"
    text = _prose(path)
    stray = set(re.findall(r"(?<![\w./])\d+/\d+(?![\w./])", text))
    stray |= set(re.findall(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?!\w)", text))
    stray |= set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?%", text)) - {"95%"}
    assert not stray, f"{path} quotes {sorted(stray)} outside its markers"


def test_fill_markers_names_what_is_missing():
    with pytest.raises(ValueError, match=r"markers without a value \['b'\]; values without a marker \['c'\]"):
        fill_markers("x <!-- a -->1<!-- /a --> y <!-- b -->2<!-- /b -->", {"a": "1", "c": "3"})
    with pytest.raises(ValueError, match="a line starts with an inline marker"):
        fill_markers("text\n<!-- a -->1<!-- /a --> more", {"a": "1"})
    assert fill_markers("<!-- t -->\nold\n<!-- /t -->", {"t": "\nnew\n"}) == "<!-- t -->\nnew\n<!-- /t -->"


def test_readme_main_refills_a_copied_readme_from_its_csv(tmp_path, capsys):
    import shutil

    source = ROOT / "experiments" / "xu2025_gaussian"
    folder = tmp_path / "experiments" / source.name
    folder.mkdir(parents=True)
    for name in ("results.csv", "config.toml", "README.md"):
        shutil.copyfile(source / name, folder / name)
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    name = marker_names(text)[0]
    stale = re.sub(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", f"<!-- {name} -->x<!-- /{name} -->",
                   text, count=1, flags=re.S)
    assert stale != text
    readme.write_text(stale, encoding="utf-8")
    module = _module(source / "readme.py")
    assert readme_main(folder, module.__doc__, ["--from-csv"], readmes={"experiment": readme},
                       numbers=module.numbers) == 0
    assert readme.read_text(encoding="utf-8") == text
    assert f"{readme}: updated" in capsys.readouterr().out


def test_results_csv_are_one_row_per_cell_and_generation(experiment):
    _, _, frame, _ = experiment
    if "cell_id" not in frame:
        pytest.skip("not a study's results")
    assert not frame.duplicated(["cell_id", "generation"] + (["context"] if "context" in frame else [])).any()
    assert pd.api.types.is_integer_dtype(frame["generation"])
