"""Which ``model`` spellings the simulator takes per task type, so clients meet TopView's strictness before
production.

TopView answers 4000 "Invalid parameter or model" (no task, no charge) for a model it does not take, and
model names are exact and case-sensitive. The simulator takes, per task type, the packaged catalog's
submit names of that type (``load_catalog(task_type=...)``) plus whatever a test registers for it. A
retired model (its ``retired.on`` day has come: Sora 2 and Sora 2 Pro since 2026-09-24) and a model's
former name (``"Topview Omni"``, now ``"Gemini Omni Flash"``) are refused like unknown ones, unless a test
adds that name itself. ``accept_any`` restores the old accept-everything behaviour for every task type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from airflow_topview.catalog import load_catalog
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TASK_TYPES
from airflow_topview.testing.validation import ApiError

#: TopView's message for a model it does not take.
UNKNOWN_MODEL_MESSAGE = "Invalid parameter or model"


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _task_type(task_type: str) -> str:
    if task_type not in TASK_TYPES:
        raise ValueError(f"unknown task type {task_type!r}; expected one of {', '.join(TASK_TYPES)}")
    return task_type


@cache
def catalog_names(task_type: str = IMAGE_TO_VIDEO.key) -> frozenset[str]:
    """The packaged catalog's exact submit spellings (display names and documented kebab ids) for
    ``task_type``, without retired models and former names."""
    today = _today()
    catalog = load_catalog(task_type=_task_type(task_type))
    taken: set[str] = set()
    former: set[str] = set()
    for spec in catalog:
        former.update(spec.former_names)
        if spec.retired is None or spec.retired.on > today:
            taken.update((spec.submit_name, *spec.submit_aliases))
    return frozenset(taken - former)


class ModelBook:
    """The model names one simulator takes, per task type. Not thread-safe on its own: the simulator
    state guards it."""

    def __init__(self, *, accept_any: bool = False) -> None:
        self.accept_any = accept_any
        self._added: dict[str, set[str]] = {key: set() for key in TASK_TYPES}

    def add(self, name: str, task_type: str = IMAGE_TO_VIDEO.key) -> None:
        """Take ``name`` exactly as spelled for ``task_type`` (newer than the catalog, or a test's own)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("model name must be a non-empty string")
        self._added[_task_type(task_type)].add(name)

    def known(self, task_type: str = IMAGE_TO_VIDEO.key) -> frozenset[str]:
        return catalog_names(_task_type(task_type)) | self._added[task_type]

    def check(self, model: str, task_type: str = IMAGE_TO_VIDEO.key) -> None:
        """TopView's 4000 unless ``model`` is taken for ``task_type`` (always taken with ``accept_any``)."""
        if self.accept_any or model in self._added[task_type] or model in catalog_names(task_type):
            return
        raise ApiError("4000", UNKNOWN_MODEL_MESSAGE)
