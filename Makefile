# Two commands on a fresh machine: `make run` and `make test`. Each creates .venv and
# installs what it needs; a stamp file re-installs only when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
JOBS ?= 2

.PHONY: run test docs bench clean

$(VENV)/.stamp-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install ".[study]"
	touch $@

# The docs need Sphinx and synthloop's own dependencies only (no torch, no SDV).
$(VENV)/.stamp-docs: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e ".[docs]"
	touch $@

# The SDV adapter is tested too. torch is pinned first (a local CPU build on these
# machines; unpinned it would pull GBs of CUDA wheels). SDV 2.0 declares pandas<3:
# it is installed before synthloop, whose pandas>=3 then replaces SDV's pandas 2
# (pip warns about the declared conflict; SDV runs on pandas 3 in our tests).
$(VENV)/.stamp-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install sdv==2.0.0 sdmetrics==0.32.0
	$(PIP) install -e ".[test,docs,study,openml]"
	touch $@ $(VENV)/.stamp-run $(VENV)/.stamp-docs

run: $(VENV)/.stamp-run
	$(VENV)/bin/synthloop reproduce adult --n-jobs $(JOBS)

# The suite includes every code example of docs/*.rst and README.md (doctests, TOML configs,
# command lines), then the docs are built.
test: $(VENV)/.stamp-test
	# One OpenMP thread per worker: HistGradientBoosting in two workers would
	# otherwise oversubscribe the two cores many times over.
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) -q
	$(MAKE) docs

docs: $(VENV)/.stamp-docs
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.stamp-test
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) docs/_build docs/generated
