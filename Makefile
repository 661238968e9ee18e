# `make test` and `make demo` build .venv on a fresh machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(abspath ../shared)
export TRACKLAKE_SHARED := $(SHARED)

# torch 2.14.1 + torchvision 0.29.1 lie on this machine's disk for Python 3.11 (pip finds
# them through its find-links); installing them first keeps pip from fetching another build.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: test demo lint bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH_PINS)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

test: $(BIN)/.installed
	$(BIN)/ruff check tracklake tests bench
	$(BIN)/python -m pytest

demo: $(BIN)/.installed
	bash bench/demo.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check tracklake tests bench
	$(BIN)/ruff format --check tracklake tests bench

clean:
	rm -rf $(VENV) build *.egg-info
