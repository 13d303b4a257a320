# The two commands a new user runs: `make run` and `make test`. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench setup clean-db help

help:
	@echo "make run   - set up .venv, migrate, load catalog + demo data, start the Hub on 127.0.0.1:$(PORT)"
	@echo "make test  - set up .venv with test extras, ruff, mypy + import contracts, pytest on SQLite (+ PostgreSQL if TEST_DATABASE_URL)"
	@echo "make bench - benchmarks (printed as JSON lines)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/layers-hub db upgrade
	$(BIN)/layers-hub seed --demo --if-empty
	HUB_SANDBOX=$${HUB_SANDBOX:-1} HUB_BASE_URL=$${HUB_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

# Types (mypy: [tool.mypy] in pyproject.toml) and the import contracts (lint-imports: [tool.importlinter]).
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# SQLite always; PostgreSQL when TEST_DATABASE_URL is set (CI sets it and HUB_TEST_STRICT=1, which
# turns any skipped test, e.g. a missing PostgreSQL or Chromium, into a failure).
test: $(STAMP) lint typecheck
	HUB_TEST_BACKEND=sqlite $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL run ($${TEST_DATABASE_URL##*@}) =="; \
		HUB_TEST_BACKEND=postgresql $(BIN)/python -m pytest; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; \
		if [ -n "$$HUB_TEST_STRICT" ]; then echo "error: HUB_TEST_STRICT needs TEST_DATABASE_URL"; exit 1; fi; fi

# The real sizes. `make test` runs each of these at a smoke size (tests/test_benchmarks_smoke.py), so a broken
# benchmark fails CI; the figures themselves are read here, never asserted by a test.
bench: $(STAMP)
	$(BIN)/layers-hub bench ranking
	$(BIN)/layers-hub bench http
	$(BIN)/layers-hub bench sweep
	@case "$$DATABASE_URL" in postgres*) \
		$(BIN)/layers-hub bench sweep --workers 1,2,4 --accounts 5 --connections 2000 --latency-ms 50 && \
		$(BIN)/layers-hub bench sweep --workers 1,2,4 --connections 2000 --latency-ms 50 && \
		$(BIN)/layers-hub bench webhooks --rate 500 --seconds 20 --servers 2 --workers 2 ;; \
		*) echo "bench sweep --workers and bench webhooks need DATABASE_URL on PostgreSQL: skipped" ;; esac

clean-db:
	rm -f data/hub.db data/hub.db-wal data/hub.db-shm
