# The front door: `make demo` and `make test` work on a fresh machine.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: uv setup demo test test-all bench bench-trace lint serve clean

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

setup: uv  ## the locked environment, compiled to bytecode once (see the README)
	@$(UV) sync --frozen --quiet --compile-bytecode

WORLD ?= classic

demo: setup  ## WORLD=woo-erpnext-csv serves the same world from ERPNext, WooCommerce and a CSV / XLSX 3PL
	$(UV) run tracehub demo --world $(WORLD)

test: setup  ## the fast tiers: unit, contract, store, pipeline and web tests
	$(UV) run pytest -n auto --dist loadfile -m "not slow"

test-all: setup  ## every tier, as CI runs it: adds the demo, Airflow, the browser and large worlds
	$(UV) run pytest -n auto --dist loadfile

BENCH_ARGS ?=

bench: uv  ## Tracehub beside dlt and raw COPY (BENCH_ARGS="--lines 400000 --rounds 3"); adds the bench group
	@$(UV) sync --frozen --quiet --compile-bytecode --group bench
	$(UV) run --frozen --group bench python -m benchmarks $(BENCH_ARGS)

bench-trace: setup  ## lot-trace and recall latency on a store of 1M (SQLite) and 5M (PostgreSQL) shipment lines
	$(UV) run python -m benchmarks --trace $(BENCH_ARGS)

serve: setup
	$(UV) run tracehub serve

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

clean:
	rm -rf .tracehub
