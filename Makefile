# Two commands for a newcomer:
#   make run   - create .venv, install, start the service with demo data on http://127.0.0.1:8000
#   make test  - create .venv, install with test tools (and, with npm, GitHub's conformance packages), run the
#                whole suite (SQLite and PostgreSQL) in parallel
#                (workers: addopts in pyproject.toml; serially: .venv/bin/python -m pytest -n 0)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_DIR := tests/conformance
NPM_STAMP := $(NPM_DIR)/node_modules/.installed

.PHONY: run test lint openapi clean conformance-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# GitHub's payload examples, schemas, REST description and mock server for the conformance tests (npm; optional:
# without npm those tests skip and say so).
$(NPM_STAMP): $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(NPM_DIR) --no-audit --no-fund --ignore-scripts --loglevel=error && touch $(NPM_STAMP); \
	else echo "npm not found: the conformance tests against GitHub's own examples will be skipped"; fi

conformance-packages: $(NPM_STAMP)

run: $(STAMP)
	$(BIN)/pulse serve --demo

# Compiled modules are kept (__pycache__, git-ignored) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): each test process, and each process a test starts, then skips compiling the project
# and rewriting the tests' asserts again (a test process's collection: 7.7 s of CPU without, 3.5 s with).
test: $(STAMP) $(NPM_STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

openapi: $(STAMP)
	$(BIN)/pulse openapi > openapi/openapi.json

clean:
	rm -rf $(VENV) $(NPM_DIR)/node_modules pulse.db pulse.db-wal pulse.db-shm .pytest_cache
