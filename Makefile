# Two commands on a fresh machine with Python 3.11 and make: `make demo`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= loyalscope-demo

.PHONY: demo test fuzz lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,postgres,bench]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/loyalscope demo --out $(OUT)

# two processes (pytest-xdist), each test file in one of them (its module fixtures built once):
# 21 -> 16 min on 2 cores; most of the suite waits on one Python thread
test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile

# issue #10's fuzz run: 120 folders of 42 generated messy files (5,040 files, ~10 min on 2 cores),
# each record checked against the generator; `make test` runs 5 of those folders
fuzz: $(VENV)/.installed-dev
	LOYALSCOPE_FUZZ_EXAMPLES=100 LOYALSCOPE_FUZZ_ENGINE_EXAMPLES=20 $(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
