"""The submit journal: what a retry reads back, and the bare task id of earlier releases."""

from __future__ import annotations

from typing import Any

from airflow_topview.submit.journal import JOURNAL_KEY, LEGACY_KEY, SubmitJournal, fingerprint


class DictStore:
    """The get/set/delete surface of Airflow's task_state_store, kept in a dict (no task runner here)."""

    def __init__(self, **values: Any) -> None:
        self.values = dict(values)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def test_fingerprint_ignores_key_order() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_a_legacy_task_id_is_read_once_and_superseded() -> None:
    store = DictStore(**{LEGACY_KEY: "old-task"})
    journal = SubmitJournal(store)
    [previous] = journal.read()
    assert (previous.topview_task_id, previous.fingerprint) == ("old-task", None)
    record = journal.intent("f1", max_tries=3)
    assert LEGACY_KEY not in store.values
    journal.answered(record, "new-task")
    stored = store.values[JOURNAL_KEY]["submits"]
    assert [entry["topview_task_id"] for entry in stored] == ["old-task", "new-task"]
    assert stored[1]["max_tries"] == 3


def test_every_submit_is_kept_and_only_a_refused_one_is_forgotten() -> None:
    store = DictStore()
    journal = SubmitJournal(store)
    journal.answered(journal.intent("a"), "task-a")
    refused = journal.intent("b")
    journal.forget(refused)
    journal.answered(journal.intent("c"), "task-c")
    assert [record.topview_task_id for record in SubmitJournal(store).read()] == ["task-a", "task-c"]


def test_an_unreadable_journal_entry_counts_as_an_unanswered_submit() -> None:
    store = DictStore(**{JOURNAL_KEY: {"submits": [{"topview_task_id": 12345}, "garbage"]}})
    records = SubmitJournal(store).read()
    assert [record.topview_task_id for record in records] == [None, None]


def test_the_journal_keeps_a_bounded_history() -> None:
    from airflow_topview.submit.journal import MAX_RECORDS

    store = DictStore()
    journal = SubmitJournal(store)
    for index in range(MAX_RECORDS + 5):
        journal.answered(journal.intent(f"f{index}"), f"task-{index}")
    records = SubmitJournal(store).read()
    assert len(records) == MAX_RECORDS
    assert records[-1].topview_task_id == f"task-{MAX_RECORDS + 4}"


def test_forgetting_the_only_record_drops_the_legacy_key_too() -> None:
    store = DictStore(**{LEGACY_KEY: "old-task"})
    journal = SubmitJournal(store)
    journal.read()
    journal.forget(journal.intent("f"))
    assert JOURNAL_KEY in store.values  # the legacy task id is a record too
    assert LEGACY_KEY not in store.values


class CountingStore(DictStore):
    """Counts calls: each one is a round trip to Airflow's API server from a real task."""

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.calls: list[tuple[str, str]] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.calls.append(("get", key))
        return super().get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.calls.append(("set", key))
        super().set(key, value)

    def delete(self, key: str) -> None:
        self.calls.append(("delete", key))
        super().delete(key)


def test_a_first_submit_costs_four_store_calls_and_deletes_nothing() -> None:
    store = CountingStore()
    journal = SubmitJournal(store)
    assert journal.read() == []
    journal.answered(journal.intent("f1"), "task-1")
    reads = [("get", JOURNAL_KEY), ("get", LEGACY_KEY)]
    assert store.calls == [*reads, ("set", JOURNAL_KEY), ("set", JOURNAL_KEY)]


def test_a_retry_after_a_journaled_submit_never_looks_for_the_legacy_key() -> None:
    store = CountingStore(**{JOURNAL_KEY: {"fingerprint": "f", "attempted_at": "t", "topview_task_id": "t1"}})
    journal = SubmitJournal(store)
    [record] = journal.read()
    journal.forget(record)
    assert store.calls == [("get", JOURNAL_KEY), ("delete", JOURNAL_KEY)]
