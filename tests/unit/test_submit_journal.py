"""The submit journal: what a retry reads back, and the bare task id of earlier releases."""

from __future__ import annotations

from typing import Any

from airflow_topview.submit_journal import JOURNAL_KEY, LEGACY_KEY, SubmitJournal, fingerprint


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
    previous = journal.read()
    assert previous is not None
    assert (previous.topview_task_id, previous.fingerprint) == ("old-task", None)
    record = journal.intent("f1")
    assert LEGACY_KEY not in store.values
    journal.answered(record, "new-task")
    assert store.values[JOURNAL_KEY]["topview_task_id"] == "new-task"


def test_forget_drops_the_legacy_key_too() -> None:
    store = DictStore(**{LEGACY_KEY: "old-task", JOURNAL_KEY: {"fingerprint": "f", "attempted_at": "t"}})
    SubmitJournal(store).forget()
    assert store.values == {}


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
    assert journal.read() is None
    journal.answered(journal.intent("f1"), "task-1")
    reads = [("get", JOURNAL_KEY), ("get", LEGACY_KEY)]
    assert store.calls == [*reads, ("set", JOURNAL_KEY), ("set", JOURNAL_KEY)]


def test_a_retry_after_a_journaled_submit_never_looks_for_the_legacy_key() -> None:
    store = CountingStore(**{JOURNAL_KEY: {"fingerprint": "f", "attempted_at": "t", "topview_task_id": "t1"}})
    journal = SubmitJournal(store)
    assert journal.read() is not None
    journal.forget()
    assert store.calls == [("get", JOURNAL_KEY), ("delete", JOURNAL_KEY)]
