# `make test`, `make check`, `make lint` and `make demo` build .venv from the lock on a fresh
# machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(abspath ../shared)
export TRACKLAKE_SHARED := $(SHARED)

# The test environment: every package and version the tests passed with, each file checked
# against its sha256. Only `make lock` and `make lock-upgrade` write it (pip-tools' pip-compile).
LOCK := requirements-dev.lock
LOCK_TOOLS := .venv-lock
PIP_TOOLS := pip-tools==7.7.0
# `make test-latest`: the newest versions pyproject.toml's ranges allow, no lock
LATEST := .venv-latest

# torch 2.14.1 + torchvision 0.29.1 lie on this machine's disk for Python 3.11 (pip finds
# them through its configured index); the lock holds torch at them, so that pip takes them
# from the disk instead of fetching another build.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

# The whole suite on 2 xdist workers (one a core), the tests sharing an expensive fixture on
# one worker (tests/conftest.py); the 20 slowest are listed at the end, to keep the time
# budget in view.
PYTEST_ALL := -n 2 --dist loadgroup --durations 20

.PHONY: test check demo lint lock lock-upgrade test-latest clean

# pip's configured indexes and find-links (pip $(1)) as uv's options
PIP_SOURCES = $$($(1) config get global.index-url 2>/dev/null | sed 's/^/--index-url /') \
  $$(for url in $$($(1) config get global.extra-index-url 2>/dev/null); do \
       echo --extra-index-url $$url; done) \
  $$(for dir in $$($(1) config get global.find-links 2>/dev/null); do \
       echo --find-links $$dir; done)

# ruff, its formatting, and mypy over the modules named in pyproject.toml's [tool.mypy], with
# the tools of the environment $(1)
define LINT
	$(1)/ruff check tracklake tests bench .ci
	$(1)/ruff format --check tracklake tests bench .ci
	$(1)/mypy
endef

# pip-compile reads pip's configuration (its indexes) as `pip install` does; the lock names
# no index, so that it installs wherever the same files can be found.
define COMPILE_LOCK
	printf '%s\n' $(TORCH_PINS) > $(LOCK_TOOLS)/torch-pins.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet $(1) \
	  --generate-hashes --extra dev --strip-extras --all-build-deps --unsafe-package tracklake \
	  --no-emit-index-url --no-emit-find-links --constraint $(LOCK_TOOLS)/torch-pins.txt \
	  --output-file $(LOCK) pyproject.toml
endef

# The locked packages. A changed lock builds .venv anew, so that nothing of an earlier lock
# stays in it. pip installs the lock's uv (its own lines of the lock, hashes included), and uv
# the rest: about 1 minute here, against pip's 5 over torch's 5.5 GB of wheels. uv does not
# read pip's configuration, so it is handed the indexes and find-links pip is configured with
# (this machine keeps torch's wheels on its disk); with hashes pinned, any of them may serve a
# file. It compiles the bytecode as pip does: where PYTHONDONTWRITEBYTECODE is set (CI), a
# process would otherwise compile every module it imports, each time (a Ray worker: 5 s).
$(VENV)/.locked: $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	awk '/^uv==/ {p = 1} p {print} p && !/\\$$/ {exit}' $(LOCK) > $(VENV)/uv.lock.txt
	$(BIN)/pip install --quiet --require-hashes -r $(VENV)/uv.lock.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes --compile-bytecode \
	  --index-strategy unsafe-best-match $(call PIP_SOURCES,$(BIN)/pip) -r $(LOCK)
	touch $@

# tracklake itself, editable, built by the lock's setuptools; `pip check` fails if
# pyproject.toml asks for a package the lock lacks (run `make lock`)
$(BIN)/.installed: $(VENV)/.locked pyproject.toml
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $@

# CI (.ci/run): lint, then every test, the slow ones (real models, real clusters) included
test: $(BIN)/.installed
	$(call LINT,$(BIN))
	$(BIN)/python -m pytest $(PYTEST_ALL)

# The inner loop: the tests not marked slow, spread over the CPU cores
check: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not slow" -n auto -q

demo: $(BIN)/.installed
	bash bench/demo.sh

lint: $(BIN)/.installed
	$(call LINT,$(BIN))

# Resolve the lock again after pyproject.toml changed, keeping every pin that still fits
lock: $(LOCK_TOOLS)/bin/pip-compile
	$(call COMPILE_LOCK)

# Every package at the newest version pyproject.toml's ranges allow (torch at TORCH_PINS)
lock-upgrade: $(LOCK_TOOLS)/bin/pip-compile
	$(call COMPILE_LOCK,--upgrade)

$(LOCK_TOOLS)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install --quiet $(PIP_TOOLS)

# The whole suite against the newest releases pyproject.toml allows: run it before
# `make lock-upgrade`, to see what an upgrade would break
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	$(call LINT,$(LATEST)/bin)
	$(LATEST)/bin/python -m pytest $(PYTEST_ALL)

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) $(LATEST) build *.egg-info
