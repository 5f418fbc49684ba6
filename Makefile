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
	$(PIP) install ".[plot,parquet]"
	touch $@

$(VENV)/.stamp-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e ".[test,docs,plot,parquet,openml]"
	touch $@ $(VENV)/.stamp-run

run: $(VENV)/.stamp-run
	$(VENV)/bin/synthloop quickstart

test: $(VENV)/.stamp-test
	# One OpenMP thread per worker: HistGradientBoosting in two workers would
	# otherwise oversubscribe the two cores many times over.
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) -q
	$(MAKE) docs

docs: $(VENV)/.stamp-test
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.stamp-test
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) docs/_build docs/generated
