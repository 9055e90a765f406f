# The two commands of the README: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv

.PHONY: demo test test-dates test-e2e lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Stamp files re-run the install when pyproject.toml changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/python scripts/demo.py

test: $(VENV)/.installed-test lint typecheck pytest

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
	$(BIN)/pytest tests/e2e --e2e -s

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
