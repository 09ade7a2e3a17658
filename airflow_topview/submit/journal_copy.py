"""A copy of the submit journal in an Airflow Variable: where clearing a task instance does not reach.

From Airflow 3.4 a clear discards the task instance's ``task_state_store`` unless "keep task state" is
ticked (the REST clear body's ``keep_task_state``, default false; apache/airflow#72100, and #72929 extends
it to DAG-run clears, the CLI and mark-success/failed). The journal lives in that store, so a default clear
would forget a submit that was paid for. Variables outlive clears on every version, and the task SDK reads
and writes them through the execution API, so each journal write is copied to one Variable per task
instance and a later try whose store is empty reads the copy (:mod:`.journal`).
docs/airflow-versions.md weighs this against refusing to submit.

The copy names its DAG run by ``run_id`` and ``run_after`` (fixed for the run's lifetime), and a task's
first try deletes any copy it finds: a copy left by a deleted run whose id a new run reuses (a scheduled
run made again has the same ``run_id`` and ``run_after``) is never read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

#: Every copy's Variable key starts with this (``Variable.keys(prefix=...)`` lists them).
KEY_PREFIX = "topview_submit_journal."


class CopiedJournal(BaseModel):
    """The Variable's value: the journal's records and the task instance they belong to."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    dag_id: str
    run_id: str
    run_after: str | None
    task_id: str
    map_index: int
    submits: list[dict[str, Any]]


class JournalCopy:
    """The journal's copy for one task instance (``Variable`` import deferred: parse time stays cheap)."""

    def __init__(self, owner: CopiedJournal) -> None:
        self.owner = owner.model_copy(update={"submits": []})
        coordinates = "\x1f".join([owner.dag_id, owner.run_id, owner.task_id, str(owner.map_index)])
        # Variable keys are at most 250 characters and DAG/run/task ids can be longer: a digest.
        self.key = KEY_PREFIX + hashlib.sha256(coordinates.encode()).hexdigest()[:40]

    @classmethod
    def of(cls, context: Any) -> JournalCopy | None:
        """The running task instance's copy; None where the context has no task instance (a unit call)."""
        ti = context.get("ti")
        dag_run = context.get("dag_run")
        if ti is None or dag_run is None:
            return None
        run_after = getattr(dag_run, "run_after", None)
        map_index = getattr(ti, "map_index", None)
        owner = CopiedJournal(
            dag_id=str(ti.dag_id),
            run_id=str(ti.run_id),
            run_after=run_after.isoformat() if run_after is not None else None,
            task_id=str(ti.task_id),
            map_index=-1 if map_index is None else int(map_index),
            submits=[],
        )
        return cls(owner)

    @property
    def description(self) -> str:
        owner = self.owner
        where = f"{owner.dag_id} / {owner.run_id} / {owner.task_id}"
        where += f"[{owner.map_index}]" if owner.map_index >= 0 else ""
        return (
            f"TopView submit journal of {where}: what its tries paid for, kept where a clear does not "
            "reach (airflow-provider-topview). Safe to delete once that DAG run is deleted."
        )

    def read(self) -> list[dict[str, Any]]:
        """The copied records; none when there is no copy or it belongs to another (deleted) run."""
        try:
            raw = self._load()
        except ValueError:  # not JSON: something was journaled there; an unreadable record is uncertain
            return [{"attempted_at": "an unknown time (unreadable journal copy)"}]
        if raw is None:
            return []
        try:
            copied = CopiedJournal.model_validate(raw)
        except ValidationError:
            # Unreadable but present: something was journaled; one unreadable record makes it uncertain.
            return [{"attempted_at": "an unknown time (unreadable journal copy)"}]
        mine = copied.model_copy(update={"submits": []}) == self.owner
        return list(copied.submits) if mine else []

    def write(self, submits: list[dict[str, Any]]) -> None:
        if submits:
            self._save(self.owner.model_copy(update={"submits": submits}).model_dump(mode="json"))
        else:
            self._remove()

    # The three calls to Airflow's Variable (through the task SDK's execution API).
    def _load(self) -> Any:
        from airflow.providers.common.compat.sdk import Variable

        return Variable.get(self.key, default=None, deserialize_json=True)

    def _save(self, value: dict[str, Any]) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.set(self.key, value, description=self.description, serialize_json=True)

    def _remove(self) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.delete(self.key)
