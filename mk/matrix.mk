# Airflow version matrix: one venv per supported Airflow minor release under .matrix/ (scripts/matrix.py,
# docs/airflow-versions.md). Each row: every module imports, the provider registers, and the behaviour
# tests pass; the table it prints is the last thing `make test` prints. One row alone:
# `make matrix ROWS=3.2.2`. The latest row (3.3.2) is the main .venv: within one make invocation it
# reuses the junit report `make unit` writes (below) instead of running the suite a second time. The
# test files that never touch Airflow (scripts/matrix.py AIRFLOW_FREE) and those whose proof does not
# depend on the Airflow version or is scale (MAIN_ROW_ONLY) run on the main row only.
MATRIX_DIR := .matrix
MATRIX_STARTED := $(shell date +%s)
ROWS ?=
# pytest processes in all for the rows' suites, which run at once: two each (a process keeps about half a
# core busy); extra ones go to the rows that also run deployment tests.
MATRIX_WORKERS ?= 6

.PHONY: matrix matrix-lock

unit: export PYTEST_ADDOPTS += --junitxml=$(MATRIX_DIR)/unit/junit.xml

matrix: $(STAMP)
	$(BIN)/python scripts/matrix.py run --rows "$(ROWS)" --workers $(MATRIX_WORKERS) --reuse-after $(MATRIX_STARTED)

# Re-resolve the matrix's lock files (requirements/matrix-*.txt; run by hand, like `make lock`).
matrix-lock: $(STAMP)
	$(BIN)/python scripts/matrix.py lock --rows "$(ROWS)"
