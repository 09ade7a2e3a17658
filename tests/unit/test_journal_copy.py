"""The journal's copy in a Variable: read back only for its own DAG run, and never a reason to pay twice."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.submit.journal import JOURNAL_KEY, SubmitJournal
from airflow_topview.submit.journal_copy import KEY_PREFIX, CopiedJournal, JournalCopy
from tests.unit.test_submit_journal import DictStore

OWNER = CopiedJournal(
    dag_id="d",
    run_id="manual__1",
    run_after="2026-12-03T10:00:00+00:00",
    task_id="submit",
    map_index=2,
    submits=[],
)


class DictCopy(JournalCopy):
    """A :class:`JournalCopy` whose Variables are a dict (the get/set/delete of Airflow's Variable)."""

    def __init__(self, owner: CopiedJournal, variables: dict[str, Any], fail_saves: bool = False) -> None:
        super().__init__(owner)
        self.variables = variables
        self.fail_saves = fail_saves

    def _load(self) -> Any:
        return self.variables.get(self.key)

    def _save(self, value: dict[str, Any]) -> None:
        if self.fail_saves:
            raise RuntimeError("the API server refused the Variable")
        self.variables[self.key] = value

    def _remove(self) -> None:
        self.variables.pop(self.key, None)


def test_every_journal_write_is_copied_and_read_back_when_the_store_was_discarded() -> None:
    variables: dict[str, Any] = {}
    store = DictStore()
    journal = SubmitJournal(store, DictCopy(OWNER, variables))
    journal.answered(journal.intent("f1", max_tries=2), "task-a")
    [key] = variables
    assert key.startswith(KEY_PREFIX)
    assert len(key) < 250
    assert variables[key]["submits"] == store.values[JOURNAL_KEY]["submits"]
    store.values.clear()  # a clear on Airflow 3.4 without "keep task state"
    later = SubmitJournal(store, DictCopy(OWNER, variables))
    assert [record.topview_task_id for record in later.read()] == ["task-a"]
    assert later.restored_from_copy
    assert store.values[JOURNAL_KEY]["submits"][0]["topview_task_id"] == "task-a"  # put back in the store


def test_a_first_try_and_a_store_with_a_journal_do_not_read_the_copy() -> None:
    variables: dict[str, Any] = {}
    journal = SubmitJournal(DictStore(), DictCopy(OWNER, variables))
    journal.answered(journal.intent("f1"), "task-a")
    assert SubmitJournal(DictStore(), DictCopy(OWNER, variables)).read(from_copy=False) == []
    kept = DictStore(**{JOURNAL_KEY: {"submits": [{"fingerprint": "f2", "topview_task_id": "task-b"}]}})
    assert [record.topview_task_id for record in SubmitJournal(kept, DictCopy(OWNER, variables)).read()] == [
        "task-b"
    ]


@pytest.mark.parametrize(
    "other",
    [
        {"run_after": "2026-12-04T10:00:00+00:00"},  # a deleted run whose id a new run took
        {"map_index": 3},
        {"task_id": "other"},
    ],
)
def test_a_copy_of_another_task_instance_or_run_is_ignored(other: dict[str, Any]) -> None:
    variables: dict[str, Any] = {}
    old = DictCopy(OWNER.model_copy(update=other), variables)
    old.write([{"fingerprint": "f1", "topview_task_id": "task-a"}])
    mine = DictCopy(OWNER, variables)
    variables[mine.key] = variables.pop(old.key)  # the same key, whatever the digest would say
    assert SubmitJournal(DictStore(), mine).read() == []


def test_an_unreadable_copy_counts_as_an_unanswered_submit() -> None:
    variables: dict[str, Any] = {}
    copy = DictCopy(OWNER, variables)
    variables[copy.key] = {"submits": "garbage"}
    [record] = SubmitJournal(DictStore(), copy).read()
    assert record.topview_task_id is None
    assert "unreadable journal copy" in record.attempted_at


def test_a_copy_that_cannot_be_written_stops_the_submit_before_it_is_sent_and_leaves_no_intent() -> None:
    store = DictStore()
    journal = SubmitJournal(store, DictCopy(OWNER, {}, fail_saves=True))
    with pytest.raises(RuntimeError, match="refused the Variable"):
        journal.intent("f1")
    assert JOURNAL_KEY not in store.values  # the next try is not made uncertain by a request never sent


def test_a_copy_that_cannot_record_the_answer_does_not_fail_the_paid_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = DictStore()
    copy = DictCopy(OWNER, {})
    journal = SubmitJournal(store, copy)
    record = journal.intent("f1")
    copy.fail_saves = True
    journal.answered(record, "task-a")
    assert store.values[JOURNAL_KEY]["submits"][0]["topview_task_id"] == "task-a"
    assert "Could not update the submit journal's copy" in caplog.text
    assert copy.variables[copy.key]["submits"][0]["topview_task_id"] is None  # the copy errs on the safe side


def test_forgetting_the_only_record_deletes_the_copy() -> None:
    variables: dict[str, Any] = {}
    journal = SubmitJournal(DictStore(), DictCopy(OWNER, variables))
    journal.forget(journal.intent("f1"))
    assert variables == {}


def test_the_description_names_the_task_instance() -> None:
    assert "d / manual__1 / submit[2]" in JournalCopy(OWNER).description
