# Two entry points: `make demo` (example DAG end to end against the bundled simulator)
# and `make test` (lint, types, tests). Both build the environment they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit deploy bench lock clean

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	# Bytecode is compiled at install: Airflow spawns many Python processes, and compiling Airflow's
	# sources in each of them (when PYTHONDONTWRITEBYTECODE is set) costs seconds per process.
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c requirements/constraints.txt -e '.[dev,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Each slow part has its own target (deploy, celery, matrix; the last two in mk/), so one part can be
# iterated on alone; `make test` runs them all.
test: $(STAMP) lint typecheck docs unit deploy celery matrix

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Three workers on CI's two cores: a worker spends much of its time waiting (on the simulator, Airflow's
# subprocesses, a deployment's scheduler), so two leave a core idle. Whole files stay on one worker so
# module fixtures start once; files go out in collection order, the longest first (tests/conftest.py
# LONGEST_FIRST), so no long file starts last.
XDIST := -n 3 --dist loadfile --no-loadscope-reorder

unit: $(STAMP)
	$(BIN)/pytest $(XDIST) -m "not deploy and not celery"

# Real Airflow deployments on loopback (LocalExecutor): restarts, kills, pools.
deploy: $(STAMP)
	$(BIN)/pytest $(XDIST) -m "deploy and not celery"

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

# Re-resolve the pinned versions (run by hand when changing dependencies).
lock:
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev --extra docs pyproject.toml -o requirements/constraints.txt

include mk/*.mk

clean:
	rm -rf $(VENV) .airflow .demo .mypy_cache .ruff_cache .pytest_cache
