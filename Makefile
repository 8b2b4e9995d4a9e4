# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO_HOME ?= $(CURDIR)/.affidavit-demo

.PHONY: demo test lint typecheck unit unit-future bench clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(INSTALLED)
	AFFIDAVIT_HOME=$${AFFIDAVIT_HOME:-$(DEMO_HOME)} $(BIN)/affidavit demo $(DEMO_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

# Tests run on every core (pytest-xdist); each test has its own home and schema.
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n auto

unit: $(INSTALLED)
	$(PYTEST)

# The unit suite again on SQLite with every test clock ten years ahead: no test may
# depend on today's date (tests/conftest.py).
unit-future: $(INSTALLED)
	AFFIDAVIT_TEST_CLOCK_SHIFT_DAYS=3653 AFFIDAVIT_TEST_DATABASE_URL= \
		$(PYTEST)

test: lint typecheck unit

bench: $(INSTALLED)
	$(BIN)/python bench/ledger.py --quick
	$(BIN)/python bench/governance.py --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis $(DEMO_HOME)
