# energymon — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config/energymon.toml

.PHONY: run test lint fmt bench bench-smoke soak clean help

help:
	@echo "make run    - set up .venv and serve the simulated default config on http://localhost:8000"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make lint   - ruff + mypy --strict"
	@echo "make bench  - benchmarks (prints figures, writes bench/results/latest.md)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@echo "energymon: serving $(CONFIG) on http://localhost:8000 (API docs: http://localhost:8000/docs; Ctrl-C stops)"
	$(BIN)/energymon serve --config $(CONFIG)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-smoke: $(STAMP)
	$(BIN)/python -m bench.run --smoke

soak: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests/reliability --soak

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
