# Two commands on a fresh machine: `make run` (serve with demo data) and `make test` (everything CI checks).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests wait on PostgreSQL (a database per test) more than on the CPU: 4 workers on 2 cores.
PYTEST_WORKERS ?= 4

.PHONY: install run test lint openapi openapi-check pytest fuzz bench clean

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
	WEISHI_NOTIFY_INLINE_WORKER=true $(BIN)/weishi serve --host $(HOST) --port $(PORT)

# mypy: strict on app/analytics, every rules.py and app/common; elsewhere no module may gain errors over
# scripts/mypy_baseline.json (cache in .mypy_cache: about 4 s warm, 40 s cold on 2 shared cores).
lint: install
	$(BIN)/ruff check app tests bench alembic scripts
	$(BIN)/ruff format --check app tests bench alembic scripts
	$(BIN)/python scripts/mypy_gate.py

openapi: install
	$(BIN)/python -m app.openapi.export write

openapi-check: install
	$(BIN)/python -m app.openapi.export check

pytest: install
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15

test: lint openapi-check pytest

# Schemathesis against openapi/openapi.json (docs/security.md). The suite's pass is the coverage phase and 8
# stateful scenarios; this adds FUZZ_EXAMPLES random examples per operation, four in five sent as the
# operation's primary role (so about 500 as the role the access matrix lets through, the rest spread over all
# nine roles: nine times 500 would take hours), and FUZZ_SCENARIOS stateful scenarios of up to 25 calls.
FUZZ_EXAMPLES ?= 625
FUZZ_SCENARIOS ?= 300
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SCENARIOS=$(FUZZ_SCENARIOS) \
		TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest \
		tests/reliability/test_fuzz.py tests/reliability/test_fuzz_stateful.py -n $(PYTEST_WORKERS) -q

# Every bench at full size, one after another (tens of minutes: pabutools' side of bench_allocation alone ran
# 219 s on 2 idle cores), writing docs/benchmarks.md;
# the benches create and drop their own weishi_bench_* databases through BENCH_ADMIN_DSN. CI runs them --quick.
BENCH_ADMIN_DSN ?= postgresql://postgres@127.0.0.1:5432/test
bench: install
	BENCH_ADMIN_DSN=$(BENCH_ADMIN_DSN) $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .mypy_cache
