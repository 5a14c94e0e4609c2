# Two commands on a fresh machine (Python 3.11+, Java 17 and Maven for the Neo4j tests):
#   make demo   set up .venv and run the demo (real taxonomy, a demo organisation, recommendations)
#   make test   set up .venv and run the whole test suite (starts a local Neo4j itself)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
TORCH_WHEEL := $(firstword $(wildcard $(SHARED)/wheels/torch-*cpu*.whl))

.PHONY: demo test lint setup neo4j-start neo4j-stop clean

$(BIN)/mentorgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
ifneq ($(TORCH_WHEEL),)
	# A CPU-only PyTorch first, so sentence-transformers does not pull the CUDA build.
	$(BIN)/python -m pip install -q $(TORCH_WHEEL)
endif
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/mentorgraph

demo: setup
	$(BIN)/mentorgraph demo

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

neo4j-start:
	$(PYTHON) scripts/neo4j_local.py start

neo4j-stop:
	$(PYTHON) scripts/neo4j_local.py stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
