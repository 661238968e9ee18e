# `make test` and `make demo` build .venv on a fresh machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(abspath ../shared)
export TRACKLAKE_SHARED := $(SHARED)

# torch 2.14.1 + torchvision 0.29.1 lie on this machine's disk for Python 3.11 (pip finds
# them through its find-links); installing them first keeps pip from fetching another build.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: test check demo lint bench clean

# `make lint`, and the first step of `make test`: ruff, its formatting, and mypy over the
# modules named in pyproject.toml's [tool.mypy]
define LINT
	$(BIN)/ruff check tracklake tests bench
	$(BIN)/ruff format --check tracklake tests bench
	$(BIN)/mypy
endef

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH_PINS)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# CI (.ci/run): every test, the slow ones (real models, real clusters) included
test: $(BIN)/.installed
	$(LINT)
	$(BIN)/python -m pytest

# The inner loop: the tests not marked slow, spread over the CPU cores
check: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not slow" -n auto -q

demo: $(BIN)/.installed
	bash bench/demo.sh

lint: $(BIN)/.installed
	$(LINT)

clean:
	rm -rf $(VENV) build *.egg-info
