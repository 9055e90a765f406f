# The two commands of the README: `make demo` and `make test`. Both build .venv when it is missing.
# Two distributions live here, the provider (.) and meetstream-emulator (./emulator); both targets
# install both, editable, compiled to bytecode (this machine may not write .pyc at import time,
# and without it every new process compiles Airflow again).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
UV_PIP := $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python

.PHONY: demo test docs test-dates test-e2e test-compat test-airflow2 lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Stamp files re-run the install when either pyproject.toml or VERSION changes (an editable
# install's metadata, where both packages read their __version__, is written at install time).
$(VENV)/.installed: $(BIN)/python pyproject.toml emulator/pyproject.toml VERSION
	$(UV_PIP) -e . -e ./emulator
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml emulator/pyproject.toml VERSION
	$(UV_PIP) -e '.[test,docs]' -e './emulator[test]'
	touch $@ $(VENV)/.installed

# The repository's own packages to bytecode too (this machine may not write .pyc at import time):
# the triggerer imports a trigger's module on its event loop, three times faster from bytecode.
BYTECODE := $(BIN)/python -m compileall -q airflow_provider_meetstream emulator/meetstream_emulator

demo: $(VENV)/.installed
	$(BYTECODE)
	$(BIN)/python scripts/demo.py

test: $(VENV)/.installed-test lint typecheck docs pytest

# The docs site, warnings as errors, into docs/_build/html.
docs: $(VENV)/.installed-test
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

# The whole suite under libfaketime on seven days from today and on DST and New Year's eves.
test-dates: $(VENV)/.installed-test
	$(BIN)/python scripts/test_dates.py

# A real Airflow deployment (PostgreSQL, every component; LocalExecutor, then CeleryExecutor on
# Redis) runs every example DAG; scripts/e2e_setup.sh installs the e2e extra and the Debian packages.
test-e2e: $(BIN)/python
	scripts/e2e_setup.sh $(BIN)/python $(UV)
	$(BYTECODE)
	$(BIN)/pytest tests/e2e --e2e -s

# Every supported Airflow (2.11, 3.0, 3.1, 3.2, 3.3), each in .venv-airflow-<version>, installed as
# Airflow's users install it: the whole suite on each, and the example DAGs on `airflow standalone`
# on 2.11; then a table of versions, results and times. test-airflow2 is its 2.11 row alone.
test-compat: $(VENV)/.installed
	$(BIN)/python scripts/test_compat.py

test-airflow2: $(VENV)/.installed
	$(BIN)/python scripts/test_compat.py --airflow 2.11

# The provider beside an HttpHook loop and a hand-written pool, against the emulator with 50 ms of
# latency; prints one table, writes bench/results.json and docs/generated/benchmarks.md (~10 min).
$(VENV)/.installed-bench: $(BIN)/python pyproject.toml emulator/pyproject.toml VERSION
	$(UV_PIP) -e '.[bench]' -e ./emulator
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py

# Both distributions' sdists and wheels into dist/, checked by twine, and the provider's wheel
# installed alone with Airflow in a clean venv: listed by `airflow providers list`, an example parsed.
.PHONY: dist
$(VENV)/.installed-release: $(BIN)/python pyproject.toml VERSION
	$(UV_PIP) -e '.[release]'
	touch $@

dist: $(VENV)/.installed-test $(VENV)/.installed-release
	$(BIN)/python scripts/dist.py

clean:
	rm -rf $(VENV) .venv-airflow-* docs/_build .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info emulator/build emulator/*.egg-info
