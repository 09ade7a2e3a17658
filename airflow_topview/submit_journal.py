"""The paid submit's journal in ``task_state_store``: what is being submitted, when, and TopView's answer.

It is written before the request goes out and again when the task id comes back. A retry (after a
killed worker, an ``execution_timeout`` or a clear) reads it first: it reuses a TopView task only when
the request is the same (the body's fingerprint matches), and it knows when an earlier try sent a
submit whose answer never arrived, so it does not pay blindly a second time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Key of the journal in ``task_state_store``.
JOURNAL_KEY = "topview_submit"
#: Key earlier releases kept the bare task id under (read, never written).
LEGACY_KEY = "topview_task_id"


def task_state_store(context: Mapping[str, Any]) -> Any | None:
    """The try's ``task_state_store``, or None where this Airflow has none (before 3.3).

    Airflow 3.3 puts it in every task's context and earlier versions have no such key, so this lookup
    is the provider's one check of the feature: the journal and the busy wait both take what it returns.
    Without it a first try submits as usual, a later try fails as uncertain (:mod:`.paid_submit`), and a
    deferrable submit waits out TopView's concurrency limit on the worker (:mod:`.busy_wait`).
    """
    return context.get("task_state_store")


def fingerprint(body: dict[str, Any]) -> str:
    """A stable hash of a submit body: equal for the same request, whatever the key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class SubmitRecord:
    """One submit attempt: ``topview_task_id`` is None while (or if) its answer was never recorded.

    ``fingerprint`` is None for a task id kept by an earlier release (the request is then unknown).
    """

    fingerprint: str | None
    attempted_at: str
    topview_task_id: str | None = None
    notice_uuid: str | None = None


class SubmitJournal:
    """Reads and writes :class:`SubmitRecord` in a task's ``task_state_store`` (a no-op without one)."""

    def __init__(self, store: Any | None) -> None:
        self._store = store
        # Whether an earlier release's bare task id may still be stored (None: not read yet, so maybe).
        # Each store call is a round trip to Airflow's API server: the key is deleted only when present.
        self._legacy_stored: bool | None = None

    @property
    def available(self) -> bool:
        return self._store is not None

    def read(self) -> SubmitRecord | None:
        if self._store is None:
            return None
        raw = self._store.get(JOURNAL_KEY)
        self._legacy_stored = False  # written by this release: the journal superseded the bare id
        if isinstance(raw, dict):
            task_id = raw.get("topview_task_id")
            return SubmitRecord(
                fingerprint=raw.get("fingerprint"),
                attempted_at=str(raw.get("attempted_at") or "an unknown time"),
                topview_task_id=str(task_id) if task_id else None,
                notice_uuid=raw.get("notice_uuid"),
            )
        legacy = self._store.get(LEGACY_KEY)
        self._legacy_stored = legacy is not None
        return SubmitRecord(None, "an unknown time", str(legacy)) if legacy else None

    def intent(self, body_fingerprint: str) -> SubmitRecord:
        """Record that a submit is about to be sent (before any byte goes out)."""
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        record = SubmitRecord(body_fingerprint, now)
        self._write(record)
        return record

    def answered(
        self, record: SubmitRecord, topview_task_id: str, *, notice_uuid: str | None = None
    ) -> SubmitRecord:
        answered = replace(record, topview_task_id=topview_task_id, notice_uuid=notice_uuid)
        self._write(answered)
        return answered

    def forget(self) -> None:
        """Drop the record: the submit provably created nothing (refused, busy, never sent)."""
        if self._store is not None:
            self._store.delete(JOURNAL_KEY)
            self._drop_legacy()

    def _write(self, record: SubmitRecord) -> None:
        if self._store is not None:
            self._store.set(JOURNAL_KEY, asdict(record))
            self._drop_legacy()  # the journal supersedes an earlier release's bare task id

    def _drop_legacy(self) -> None:
        if self._store is not None and self._legacy_stored is not False:
            self._store.delete(LEGACY_KEY)
            self._legacy_stored = False
