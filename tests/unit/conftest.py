"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_topview.catalog import reset_catalog_cache

#: The setting that points the catalog at a models file (``[topview] models_file``).
MODELS_FILE_ENV = "AIRFLOW__TOPVIEW__MODELS_FILE"


@pytest.fixture
def fresh_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees another's cached table or models file."""
    monkeypatch.delenv(MODELS_FILE_ENV, raising=False)
    reset_catalog_cache()
    yield
    reset_catalog_cache()
