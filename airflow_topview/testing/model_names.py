"""Which ``model`` spellings the simulator takes, so clients meet TopView's strictness before production.

TopView answers 4000 "Invalid parameter or model" (no task, no charge) for a model it does not take, and
model names are exact and case-sensitive. The simulator knows the catalog's submit names plus whatever a
test registers; ``accept_any`` restores the old accept-everything behaviour.
"""

from __future__ import annotations

from functools import cache

from airflow_topview.catalog import load_catalog
from airflow_topview.testing.validation import ApiError

#: TopView's message for a model it does not take.
UNKNOWN_MODEL_MESSAGE = "Invalid parameter or model"


@cache
def catalog_names() -> frozenset[str]:
    """The packaged catalog's exact submit spellings (display names and documented kebab ids)."""
    return load_catalog().known_submit_names()


class ModelBook:
    """The model names one simulator takes. Not thread-safe on its own: the simulator state guards it."""

    def __init__(self, *, accept_any: bool = False) -> None:
        self.accept_any = accept_any
        self._catalog = catalog_names()
        self._added: set[str] = set()

    def add(self, name: str) -> None:
        """Take ``name`` exactly as spelled (a model newer than the catalog, or a test's own)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("model name must be a non-empty string")
        self._added.add(name)

    def known(self) -> frozenset[str]:
        return self._catalog | self._added

    def check(self, model: str) -> None:
        """Raise TopView's 4000 unless ``model`` is taken (always taken with ``accept_any``)."""
        if self.accept_any or model in self._catalog or model in self._added:
            return
        raise ApiError("4000", UNKNOWN_MODEL_MESSAGE)
