# ecerp: each target creates the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck imports examples bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: run the end-to-end example (a seller's day) on the embedded default, a SQLite file
DEMO_DB := .demo/shop.db
demo: $(STAMP)
	@mkdir -p $(dir $(DEMO_DB)) && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/python examples/sellers_day.py sqlite:///$(DEMO_DB)

## test: the whole test suite (unit, contract, properties, scenarios, examples, docs)
test: $(STAMP)
	$(BIN)/python -m pytest -n auto -q

## check: everything CI runs: lint, types, import contracts, tests, examples
check: lint typecheck imports test examples

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict

imports: $(STAMP)
	$(BIN)/lint-imports

examples: $(STAMP)
	@set -e; for f in examples/*.py; do echo "== $$f"; $(BIN)/python $$f > /dev/null; done

## bench: benchmarks (SIZE=small|large), results as JSON in benchmarks/results/
bench: $(STAMP)
	$(BIN)/python -m benchmarks --size $${SIZE:-small}

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .demo
