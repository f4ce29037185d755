# Two commands on a fresh machine: `make run` (serve with demo data) and `make test` (everything CI checks).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests wait on PostgreSQL (a database per test) more than on the CPU: 4 workers on 2 cores.
PYTEST_WORKERS ?= 4

.PHONY: install run test lint openapi openapi-check pytest fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/weishi migrate
	$(BIN)/weishi seed-demo
	$(BIN)/weishi serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check app tests bench alembic

openapi: install
	$(BIN)/python -m app.openapi_export write

openapi-check: install
	$(BIN)/python -m app.openapi_export check

pytest: install
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test: lint openapi-check pytest

# Schemathesis against openapi/openapi.json, FUZZ_EXAMPLES per operation (the suite runs 3); FUZZ_STRICT=1
# also requires schema-violating data to be refused (see docs/security.md).
FUZZ_EXAMPLES ?= 500
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest \
		tests/reliability/test_fuzz.py -n $(PYTEST_WORKERS) -q

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
