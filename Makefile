# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test unit lint format fuzz bench bench-quick bench-events bench-intel bench-analytics bench-limiter crash migrate clean

# Keyed on pip, not python: a venv that failed half way (no ensurepip) is made again.
$(BIN)/pip:
	@echo "==> creating $(VENV)/ with $(PYTHON)"
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Two stamps, each remade only when the project's metadata changed: what serving needs (the package and its
# runtime dependencies), and what testing needs on top (.[dev]: pytest, ruff, mypy, the vendor SDKs).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/pip
	@echo "==> installing incidenthub and its runtime dependencies into $(VENV)/ (first run, or pyproject.toml changed)"
	$(BIN)/pip install --progress-bar on -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/pip
	@echo "==> installing incidenthub with the developer tools (.[dev]) into $(VENV)/ (first run, or pyproject.toml changed)"
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $@ $(VENV)/.installed-run

## run: start the service on http://127.0.0.1:8000 (SQLite under ./var/, created and migrated on start)
run: $(VENV)/.installed-run
	$(BIN)/incidenthub serve

## test: lint, type-check and run the whole suite (SQLite; PostgreSQL too when INCIDENTHUB_TEST_POSTGRES_URL is set)
## TEST_WORKERS: processes running tests side by side (pytest-xdist; default: one per core, 2 to 4); 0 runs
## them all in this process. The 25 slowest tests are listed at the end.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -lt 2 ] && n=2; [ $$n -gt 4 ] && n=4; echo $$n)
## The board's browser tests keep their screenshots in test-artefacts/board/ (the newest run's).
test: lint
	INCIDENTHUB_BOARD_SCREENSHOTS=$${INCIDENTHUB_BOARD_SCREENSHOTS:-test-artefacts/board} \
	  $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal --durations=25

## unit: the pure rules alone (mappings, lifecycle, cursors): no HTTP, no database, about a second
unit: $(VENV)/.installed
	$(BIN)/pytest -q tests/unit

lint: $(VENV)/.installed
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## fuzz: schemathesis over the live OpenAPI document, all checks and phases, longer than the run in `make test`;
## FUZZ_EXAMPLES=1000 for more. schemathesis.toml switches single checks off for named operations only, each
## with its full reason (rules across parameters, against stored records or the clock, which no schema states;
## Sonoran v1's key inside the body); tests/test_openapi_contract.py checks each reaches only the operations it
## names. The fuzzer may revoke any API key but its own (tests/contract_hooks.py), and the run fails if its key
## stops working. GET /v1/events/stream never ends: schemathesis reads it for 1 s and checks the events read.
FUZZ_EXAMPLES ?= 200
fuzz: $(VENV)/.installed
	$(BIN)/python -m tests.contract --max-examples $(FUZZ_EXAMPLES)

format: $(VENV)/.installed
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: the issue-9 benchmark in one run (ceiling, every door on SQLite [+ PostgreSQL], import); writes bench/REPORT.md
## sizes: make bench BENCH_DURATION=20 BENCH_IMPORT_ROWS=1000000 (or the same names in the environment)
BENCH_DURATION ?= 20
BENCH_IMPORT_ROWS ?= 1000000
BENCH_ARGS ?=
bench: $(VENV)/.installed
	@$(BIN)/py-spy --version >/dev/null 2>&1 || $(BIN)/pip install --quiet py-spy || echo "py-spy not installable: the report will have no profile"
	$(BIN)/python -m bench.run --duration $(BENCH_DURATION) --import-rows $(BENCH_IMPORT_ROWS) $(BENCH_ARGS)

## bench-quick: the same, short (3 s per door, 1,000 records imported); numbers are indicative only
bench-quick: $(VENV)/.installed
	@$(BIN)/py-spy --version >/dev/null 2>&1 || $(BIN)/pip install --quiet py-spy || echo "py-spy not installable: the report will have no profile"
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

## bench-events: what writing the outbox adds to a write (on and off, one process, one run; bench/OUTBOX.md) and
## webhook deliveries per second to a local receiver (bench/DELIVERIES.md)
bench-events: $(VENV)/.installed
	$(BIN)/python -m bench.outbox
	$(BIN)/python -m bench.deliveries

## bench-limiter: one key at full speed for one whole UTC minute against a limit of 1,000 (SQLite, and PostgreSQL
## when INCIDENTHUB_TEST_POSTGRES_URL is set): admitted, refused, latencies; writes bench/LIMITER.md
bench-limiter: $(VENV)/.installed
	$(BIN)/python -m bench.limiter

## bench-intel: threat intelligence over demo-data incidents (default 1,000,000; SQLite, and PostgreSQL when
## INCIDENTHUB_TEST_POSTGRES_URL is set): what the safety aggregates add to a write, and p50/p99 over HTTP of the heat
## map, danger zones, score and a 20-waypoint route; writes bench/INTEL.md. make bench-intel INTEL_INCIDENTS=100000
INTEL_INCIDENTS ?= 1000000
INTEL_ARGS ?=
bench-intel: $(VENV)/.installed
	$(BIN)/python -m bench.intel --incidents $(INTEL_INCIDENTS) $(INTEL_ARGS)

## bench-analytics: each /v1/analytics answer over a year of demo incidents (default 1,000,000, with call and
## unit times; SQLite, and PostgreSQL when INCIDENTHUB_TEST_POSTGRES_URL is set); p50 of 3 runs; writes
## bench/ANALYTICS.md. make bench-analytics ANALYTICS_INCIDENTS=20000 ANALYTICS_ARGS="--postgres-url none"
ANALYTICS_INCIDENTS ?= 1000000
ANALYTICS_ARGS ?=
bench-analytics: $(VENV)/.installed
	$(BIN)/python -m bench.analytics --incidents $(ANALYTICS_INCIDENTS) $(ANALYTICS_ARGS)

## crash: SIGKILL `incidenthub serve --workers 2` at random moments under writes through every door, restart it,
## and check every acknowledged write, nothing half-written, the events outbox, integrity and migration (SQLite, and
## PostgreSQL when INCIDENTHUB_TEST_POSTGRES_URL or INCIDENTHUB_BENCH_POSTGRES_URL is set); writes bench/CRASH.md.
## make crash CRASH_KILLS=50 CRASH_MAX_SECONDS=10 CRASH_SEED=123 (a seed repeats a run's kill moments and writes)
CRASH_KILLS ?= 20
CRASH_MIN_SECONDS ?= 1
CRASH_MAX_SECONDS ?= 6
CRASH_CLIENTS ?= 6
CRASH_ARGS ?=
crash: $(VENV)/.installed
	$(BIN)/python -m bench.crash --kills $(CRASH_KILLS) --min-seconds $(CRASH_MIN_SECONDS) \
		--max-seconds $(CRASH_MAX_SECONDS) --clients $(CRASH_CLIENTS) $(if $(CRASH_SEED),--seed $(CRASH_SEED)) $(CRASH_ARGS)

migrate: $(VENV)/.installed-run
	$(BIN)/incidenthub migrate

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache test-artefacts
