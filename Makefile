# The front door: `make demo` and `make test` work on a fresh machine.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: setup demo test test-all bench lint serve clean

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

WORLD ?= classic

demo: setup  ## WORLD=woo-erpnext-csv serves the same world from ERPNext, WooCommerce and a CSV / XLSX 3PL
	$(UV) run tracehub demo --world $(WORLD)

test: setup  ## the fast tiers: unit, contract, store, pipeline and web tests
	$(UV) run pytest -m "not slow"

test-all: setup  ## every tier, as CI runs it: adds the demo, Airflow, the browser and large worlds
	$(UV) run pytest

bench: setup
	$(UV) run python -m benchmarks

serve: setup
	$(UV) run tracehub serve

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

clean:
	rm -rf .tracehub
