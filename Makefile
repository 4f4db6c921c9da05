# One command per habit; CI runs .ci/run, which runs scripts/test like `make test`.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test bench

$(BIN)/amparo: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'

demo: $(BIN)/amparo
	$(BIN)/amparo demo

test: $(BIN)/amparo
	scripts/test

bench: $(BIN)/amparo
	$(BIN)/python bench/bench_hashing.py
	$(BIN)/python bench/bench_matching.py --sizes 1000000
	$(BIN)/python bench/bench_ledger.py --quick
	$(BIN)/python bench/bench_provenance.py
	$(BIN)/python bench/bench_policy.py
