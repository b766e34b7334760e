# Two commands for a newcomer:
#   make run   - create .venv, install, start the service with demo data on http://127.0.0.1:8000
#   make test  - create .venv, install with test tools, run the whole suite (SQLite and PostgreSQL) in parallel
#                (workers: addopts in pyproject.toml; serially: .venv/bin/python -m pytest -n 0)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pulse serve --demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

openapi: $(STAMP)
	$(BIN)/pulse openapi > openapi/openapi.json

clean:
	rm -rf $(VENV) pulse.db pulse.db-wal pulse.db-shm .pytest_cache
