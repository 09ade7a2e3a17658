# CeleryExecutor deployment test on a real Redis (placeholder: filled in by the Celery work).
.PHONY: celery
celery: $(STAMP)
	@echo "celery: not built yet"
