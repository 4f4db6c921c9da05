# One command per habit; CI runs `make test`.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint bench

$(BIN)/amparo:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .

$(VENV)/.test-deps: pyproject.toml | $(BIN)/amparo
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/amparo
	$(BIN)/amparo demo

test: $(VENV)/.test-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(VENV)/.test-deps
	$(BIN)/python bench/bench_hashing.py
	$(BIN)/python bench/bench_matching.py --sizes 1000000
