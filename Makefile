# The one runner: the README, CI (.ci/run) and developers all call these targets.
#   make up     create .venv if needed, install Jobraker into it, and start the product
#   make test   install, then format check, lint, type check, import contracts and the tests
#   make fmt    format and auto-fix
#   make bench  the benchmarks (not part of the tests)
#   make long   the slow soak/fault tests (not part of `make test`)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.jobraker-installed
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help setup up test lint typecheck fmt bench long clean

help:
	@echo "make up     start Jobraker (API, worker, embedded PostgreSQL and Redis)"
	@echo "make test   run every check and the whole test suite"
	@echo "make fmt    format the code and apply safe lint fixes"
	@echo "make bench  run the benchmarks"
	@echo "make long   run the slow soak/fault tests"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Jobraker needs Python 3.11 or newer (set PYTHON=python3.x)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

up: setup
	$(BIN)/jobraker up $(ARGS)

lint: setup
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -m "not long" $(ARGS)

fmt: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: setup
	@if [ -f benchmarks/__main__.py ]; then \
		$(BIN)/python -m benchmarks $(ARGS); \
	else \
		echo "No benchmarks yet (benchmarks/__main__.py is missing)."; \
	fi

long: setup
	@$(BIN)/pytest -m long $(ARGS); status=$$?; \
		if [ $$status -eq 5 ]; then echo "No long tests yet."; exit 0; fi; exit $$status

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist
