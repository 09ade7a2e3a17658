# CeleryExecutor deployment test on a real Redis: two Celery workers and two triggerers on loopback,
# one of each killed mid-run. Installs Debian's redis-server first when it is missing (as root, or
# through sudo); the test starts and stops its own Redis on a free port.
.PHONY: celery
celery: $(STAMP)
	sh scripts/install-redis.sh
	$(BIN)/pytest -p no:cacheprovider -m celery tests/deployment/test_celery.py
