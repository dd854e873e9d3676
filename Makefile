# energymon — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config/energymon.toml

.PHONY: run test lint fmt bench bench-smoke screenshots soak clean help

help:
	@echo "make run    - set up .venv and serve the simulated default config (the URL is logged;"
	@echo "              make run CONFIG=path/to.toml, ENERGYMON_SERVER__PORT=18000 make run)"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make lint   - ruff + mypy --strict"
	@echo "make bench  - benchmarks (prints figures, writes bench/results/latest.md)"
	@echo "make screenshots - the dashboard, phone and desktop, light and dark, in docs/screenshots/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The URL is logged by serve itself once it listens: the port may come from $(CONFIG), from
# ENERGYMON_SERVER__PORT or from the command line, and only serve knows which one won.
run: $(STAMP)
	@echo "energymon: serving $(CONFIG); the dashboard's URL follows once it listens (Ctrl-C stops)"
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

# Needs Debian's chromium (sudo apt-get install chromium); PNGs go to docs/screenshots/.
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

soak: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests/reliability --soak

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
