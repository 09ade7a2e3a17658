"""The paid submit's journal in ``task_state_store``: every submit of the task instance, and its answer.

A record is written before the request goes out and completed when the task id comes back. Every submit
is kept (A, then B after a clear, then A again finds A's task), with the ``max_tries`` of the try that
sent it: Airflow raises ``max_tries`` on a clear and keeps it on a retry, which tells the two apart.
A retry (after a killed worker, an ``execution_timeout`` or a clear) reads it first (:mod:`.paid_submit`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Key of the journal in ``task_state_store``.
JOURNAL_KEY = "topview_submit"
#: Key earlier releases kept the bare task id under (read, never written).
LEGACY_KEY = "topview_task_id"
#: The most submits one task instance remembers (the oldest are dropped past it).
MAX_RECORDS = 50


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


class SubmitRecord(BaseModel):
    """One submit: ``topview_task_id`` is None while (or if) its answer was never recorded.

    ``fingerprint`` is None for a task id kept by an earlier release (the request is then unknown);
    ``max_tries`` is None where it was not recorded (the earlier release, or an unreadable record).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    fingerprint: str | None = None
    attempted_at: str = "an unknown time"
    topview_task_id: str | None = None
    notice_uuid: str | None = None
    max_tries: int | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SubmitJournal:
    """The :class:`SubmitRecord` list in a task's ``task_state_store`` (a no-op without one)."""

    def __init__(self, store: Any | None) -> None:
        self._store = store
        self._records: list[SubmitRecord] = []
        # Whether an earlier release's bare task id may still be stored (None: not read yet, so maybe).
        # Each store call is a round trip to Airflow's API server: the key is deleted only when present.
        self._legacy_stored: bool | None = None

    @property
    def available(self) -> bool:
        return self._store is not None

    def read(self) -> list[SubmitRecord]:
        """Every remembered submit, oldest first; an unreadable entry counts as an unanswered submit."""
        if self._store is None:
            return []
        raw = self._store.get(JOURNAL_KEY)
        self._legacy_stored = False  # written by this release: the journal superseded the bare id
        if raw is None:
            legacy = self._store.get(LEGACY_KEY)
            self._legacy_stored = legacy is not None
            self._records = [SubmitRecord(topview_task_id=str(legacy))] if legacy else []
            return list(self._records)
        entries = raw.get("submits") if isinstance(raw, dict) and "submits" in raw else [raw]
        self._records = [_record(entry) for entry in (entries if isinstance(entries, list) else [entries])]
        return list(self._records)

    def intent(self, body_fingerprint: str, max_tries: int | None = None) -> SubmitRecord:
        """Record that a submit is about to be sent (before any byte goes out)."""
        record = SubmitRecord(fingerprint=body_fingerprint, attempted_at=_now(), max_tries=max_tries)
        self._records = [*self._records, record][-MAX_RECORDS:]
        self._write()
        return record

    def answered(
        self, record: SubmitRecord, topview_task_id: str, *, notice_uuid: str | None = None
    ) -> SubmitRecord:
        answered = record.model_copy(update={"topview_task_id": topview_task_id, "notice_uuid": notice_uuid})
        self._records = [answered if entry is record else entry for entry in self._records]
        self._write()
        return answered

    def forget(self, record: SubmitRecord) -> None:
        """Drop a record: its submit provably created nothing (refused, busy, never sent)."""
        self._records = [entry for entry in self._records if entry is not record]
        self._write()

    def _write(self) -> None:
        if self._store is None:
            return
        if self._records:
            self._store.set(JOURNAL_KEY, {"submits": [entry.model_dump() for entry in self._records]})
        else:
            self._store.delete(JOURNAL_KEY)
        if self._legacy_stored is not False:  # the journal supersedes an earlier release's bare task id
            self._store.delete(LEGACY_KEY)
            self._legacy_stored = False


def _record(entry: Any) -> SubmitRecord:
    """A stored record; one that cannot be read may have been sent, so it counts as unanswered."""
    try:
        return SubmitRecord.model_validate(entry)
    except ValidationError:
        return SubmitRecord(attempted_at="an unknown time (unreadable journal entry)")
