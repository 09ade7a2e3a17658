# Airflow version matrix (placeholder: filled in by the version-matrix work).
.PHONY: matrix
matrix: $(STAMP)
	@echo "matrix: not built yet"
