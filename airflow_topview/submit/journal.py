"""The paid submit's journal in ``task_state_store``: every submit of the task instance, and its answer.

A record is written before the request goes out and completed when the task id comes back. Every submit
is kept (A, then B after a clear, then A again finds A's task), with the ``max_tries`` of the try that
sent it: Airflow raises ``max_tries`` on a clear and keeps it on a retry, which tells the two apart.
A retry (after a killed worker, an ``execution_timeout`` or a clear) reads it first (:mod:`.paid`).
Every write is also copied to a Variable (:mod:`.journal_copy`), which a later try reads when a clear
discarded the store (Airflow 3.4).
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow_topview.submit.journal_copy import JournalCopy

log = logging.getLogger(__name__)

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
    Without it a first try submits as usual, a later try fails as uncertain (:mod:`.paid`), and a
    deferrable submit waits out TopView's concurrency limit on the worker (:mod:`.busy`).
    """
    return context.get("task_state_store")


def fingerprint(body: dict[str, Any], task_type: str = "image2video") -> str:
    """A stable hash of a submit body: equal for the same request, whatever the key order.

    Task types can share a body (``{"model", "prompt"}``): another type's record is another request (an
    operator changed between tries). Image-to-Video's hash stays as earlier releases wrote it.
    """
    if task_type != "image2video":
        body = {"task type (not sent)": task_type, **body}
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
    """The :class:`SubmitRecord` list in a task's ``task_state_store`` (a no-op without one).

    :param copy: the journal's copy where a clear does not reach (:mod:`.journal_copy`), or None.
    """

    def __init__(self, store: Any | None, copy: JournalCopy | None = None) -> None:
        self._store = store
        self._copy = copy if store is not None else None
        self._records: list[SubmitRecord] = []
        #: Whether :meth:`read` found the store empty and took the records from the copy.
        self.restored_from_copy = False
        # Whether an earlier release's bare task id may still be stored (None: not read yet, so maybe).
        # Each store call is a round trip to Airflow's API server: the key is deleted only when present.
        self._legacy_stored: bool | None = None

    @property
    def available(self) -> bool:
        return self._store is not None

    @property
    def copy_key(self) -> str | None:
        """The Variable the journal is copied to, if any."""
        return self._copy.key if self._copy is not None else None

    def read(self, *, from_copy: bool = True) -> list[SubmitRecord]:
        """Every remembered submit, oldest first; an unreadable entry counts as an unanswered submit.

        :param from_copy: read the copy when the store has no journal (False on a task's first try, which
            has nothing to resume: a copy then can only be a deleted run's).
        """
        if self._store is None:
            return []
        raw = self._store.get(JOURNAL_KEY)
        self._legacy_stored = False  # written by this release: the journal superseded the bare id
        if raw is None:
            legacy = self._store.get(LEGACY_KEY)
            self._legacy_stored = legacy is not None
            self._records = [SubmitRecord(topview_task_id=str(legacy))] if legacy else []
            if not self._records and from_copy and self._copy is not None:
                self._records = [_record(entry) for entry in self._copy.read()]
                if self._records:  # a clear discarded the store: put the journal back where it belongs
                    self.restored_from_copy = True
                    self._store.set(JOURNAL_KEY, self._payload())
            return list(self._records)
        entries = raw.get("submits") if isinstance(raw, dict) and "submits" in raw else [raw]
        self._records = [_record(entry) for entry in (entries if isinstance(entries, list) else [entries])]
        return list(self._records)

    def intent(self, body_fingerprint: str, max_tries: int | None = None) -> SubmitRecord:
        """Record that a submit is about to be sent (before any byte goes out)."""
        record = SubmitRecord(fingerprint=body_fingerprint, attempted_at=_now(), max_tries=max_tries)
        before = self._records
        self._records = [*before, record][-MAX_RECORDS:]
        try:
            self._write()
        except Exception:
            # Nothing was sent: an intent left half-written would make the next try fail as uncertain.
            self._records = before
            with suppress(Exception):
                self._write()
            raise
        return record

    def answered(
        self, record: SubmitRecord, topview_task_id: str, *, notice_uuid: str | None = None
    ) -> SubmitRecord:
        answered = record.model_copy(update={"topview_task_id": topview_task_id, "notice_uuid": notice_uuid})
        self._records = [answered if entry is record else entry for entry in self._records]
        # The task was created: a copy that cannot be updated keeps the intent (a later try after a
        # discarding clear fails as uncertain), which is no reason to fail a paid task now.
        self._write(copy_failure_fails=False)
        return answered

    def forget(self, record: SubmitRecord) -> None:
        """Drop a record: its submit provably created nothing (refused, busy, never sent)."""
        self._records = [entry for entry in self._records if entry is not record]
        self._write(copy_failure_fails=False)  # a stale intent in the copy errs on the safe side

    def discard_copy(self) -> None:
        """Delete a copy left by an earlier DAG run of the same id (a first try has nothing to resume).

        A scheduled run that is deleted and made again has the same ``run_id`` and ``run_after``; its
        first try would otherwise leave the old run's copy for a later try to read, should it fail before
        journaling its own submit.
        """
        if self._copy is None:
            return
        try:
            self._copy.write([])
        except Exception as exc:
            log.warning(
                "Could not delete the submit journal's copy in Variable %s (%s): a later try of this task "
                "may read what an earlier DAG run with the same id journaled",
                self._copy.key,
                type(exc).__name__,
            )

    def _payload(self) -> dict[str, Any]:
        return {"submits": [entry.model_dump() for entry in self._records]}

    def _write(self, *, copy_failure_fails: bool = True) -> None:
        if self._store is None:
            return
        if self._records:
            self._store.set(JOURNAL_KEY, self._payload())
        else:
            self._store.delete(JOURNAL_KEY)
        if self._legacy_stored is not False:  # the journal supersedes an earlier release's bare task id
            self._store.delete(LEGACY_KEY)
            self._legacy_stored = False
        if self._copy is None:
            return
        try:
            self._copy.write(self._payload()["submits"])
        except Exception as exc:
            if copy_failure_fails:
                raise
            log.warning(
                "Could not update the submit journal's copy in Variable %s (%s): a clear that discards "
                "this task's state would make its next try fail as uncertain instead of reusing the task",
                self._copy.key,
                type(exc).__name__,
            )


def _record(entry: Any) -> SubmitRecord:
    """A stored record; one that cannot be read may have been sent, so it counts as unanswered."""
    try:
        return SubmitRecord.model_validate(entry)
    except ValidationError:
        return SubmitRecord(attempted_at="an unknown time (unreadable journal entry)")
