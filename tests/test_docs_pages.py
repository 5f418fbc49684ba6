"""Every code block of docs/*.rst and README.md runs or is checked, so a page cannot drift from the code.

Python blocks are doctests, collected by pytest from the pages themselves (``--doctest-glob``); this
module checks that they are, loads every TOML block as a study config, and parses every command line
of the pages (and of the commands' own ``--help`` examples) with the ``synthloop`` parser.
"""

import copy
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from synthloop.cli import build_parser
from synthloop.study import load_config

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.rst"))

# Python that cannot run in the suite, with the reason (page, first line of the block).
NOT_RUN = {
    ("datasets.rst", "import openml"): "fills an openml cache from the network",
    ("datasets.rst", "from synthloop.datasets import load_openml"): "reads the reader's own cache "
                                                                     "(tests/datasets test the shipped one)",
    ("recursive.rst", "rs = RecursiveSynthesizer(GaussianCopulaGenerator(), n_generations=30,"):
        "connects to the reader's cluster (tests/test_recursive_blocks.py runs LocalClusters)",
    ("recursive.rst", "import dask"): "changes the Dask configuration of the process that runs it",
}


def _blocks(text):
    """``(line, language, body)`` of every literal block: ``.. code-block:: lang`` and ``::`` paragraphs."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        directive = re.match(r"^(\s*)\.\. code-block::\s*(\S*)", lines[i])
        if directive:
            indent, language = len(directive.group(1)), directive.group(2) or "text"
        elif lines[i].rstrip().endswith("::") and not lines[i].lstrip().startswith(".. "):
            indent, language = len(lines[i]) - len(lines[i].lstrip()), "literal"
        else:
            i += 1
            continue
        j, body = i + 1, []
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            body.append(lines[j])
            j += 1
        yield i + 1, language, "\n".join(body).strip("\n")
        i = j


def _markdown_blocks(text):
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        yield text[:match.start()].count("\n") + 1, match.group(1) or "text", match.group(2)


def _all_blocks():
    for page in PAGES:
        for line, language, body in _blocks(page.read_text()):
            yield page.name, line, language, body
    for line, language, body in _markdown_blocks((ROOT / "README.md").read_text()):
        yield "README.md", line, language, body


BLOCKS = list(_all_blocks())


def _ids(blocks):
    return [f"{page}:{line}" for page, line, *_ in blocks]


def _is_python(body):
    return bool(re.search(r"^\s*(import \w|from \w[\w.]* import )", body, flags=re.M))


def test_pytest_collects_the_pages_as_doctests():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "docs" in config["testpaths"] and "README.md" in config["testpaths"]
    assert "--doctest-glob=*.rst" in config["addopts"].split()


@pytest.mark.parametrize("page, line, language, body", [b for b in BLOCKS if b[2] in ("python", "literal")],
                         ids=_ids([b for b in BLOCKS if b[2] in ("python", "literal")]))
def test_python_blocks_are_doctests(page, line, language, body):
    first = body.strip().splitlines()[0]
    if ">>>" in body or (page, first) in NOT_RUN:
        return
    assert not (language == "python" or _is_python(body)), \
        f"{page}:{line}: write this Python block as a doctest (>>> prompts) so the suite runs it"


_BASE = {"name": "docs", "kind": "recursive", "seeds": [0], "n_generations": 1, "schedules": ["constant"],
         "pools": ["replace"], "datasets": [{"name": "adult", "bundled": "adult", "target": "income"}],
         "generators": {}}
TOML = [b for b in BLOCKS if b[2] == "toml"]


@pytest.mark.parametrize("page, line, language, body", TOML, ids=_ids(TOML))
def test_toml_blocks_are_valid_study_configs(page, line, language, body):
    data = tomllib.loads(body)
    if 'model = "sdv"' in body:
        pytest.importorskip("sdv")  # its parameters are checked against SDV's synthesizer
    if "kind" not in data:  # a fragment: the tables it shows, in a minimal config
        data = {**copy.deepcopy(_BASE), **data}
    load_config(data)


def _commands(text):
    """Every ``synthloop ...`` command line of a block or a help text (``$`` prompts, ``\\`` continuations)."""
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        line = line.strip().removeprefix("$ ")
        if re.match(r"synthloop (-|[a-z]+( |$))", line):  # not "synthloop GaussianCopula" in a benchmark's output
            yield shlex.split(line, comments=True)[1:]


COMMANDS = [(page, line, argv) for page, line, _, body in BLOCKS for argv in _commands(body)]


@pytest.mark.parametrize("page, line, argv", COMMANDS, ids=[f"{p}:{n}:{a[0]}" for p, n, a in COMMANDS])
def test_command_lines_of_the_pages_parse(page, line, argv):
    build_parser().parse_args(argv)


def test_command_lines_of_the_help_examples_parse(capsys):
    parser = build_parser()
    commands = [name for action in parser._subparsers._group_actions for name in action.choices]
    parsed = 0
    for command in commands:
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        for argv in _commands(capsys.readouterr().out.split("examples:")[-1]):
            assert argv[0] == command, argv
            build_parser().parse_args(argv)
            parsed += 1
    assert parsed >= 10


def test_readme_licence_line_is_pyproject_s():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    licence = " ".join((ROOT / "README.md").read_text().split("## Licence", 1)[1].split())
    assert licence.startswith(f"{project['license']}.")
    assert "SDV, which `SDVGenerator` wraps, is installed beside synthloop (it is not an extra)" in licence
    assert not any("sdv" in req.lower() for reqs in project["optional-dependencies"].values() for req in reqs)
