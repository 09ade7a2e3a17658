"""Never pay twice, round 3: re-rendered retries, A -> B -> A, 4004 on an earlier task, clear_on_success.

``PaidSubmit`` runs with the real hook against the simulator; the task's ``task_state_store`` is a dict
with the same get/set/delete surface. A clear is what Airflow does to the task instance: ``max_tries``
goes up and the try number with it; a retry keeps ``max_tries``.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.exceptions import TopviewChangedRequestError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.submit.journal import JOURNAL_KEY
from airflow_topview.submit.paid import PaidSubmit
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport, needs_task_state_store
from tests.unit.test_submit_journal import DictStore

LOG = logging.getLogger("tests.paying_twice")


def attempt(
    store: DictStore, request: Any, *, try_number: int = 1, max_tries: int = 2, **options: Any
) -> tuple[str, Any]:
    submitter = PaidSubmit(
        TopviewHook(retry_limit=1),
        LOG,
        store=store,
        try_number=try_number,
        on_uncertain_submit=options.pop("on_uncertain_submit", "fail"),
        max_tries=max_tries,
        **options,
    )
    return submitter.resume_or_submit(request)


def request_for(sim: TopviewSimulator, prompt: str, image: str | None = None) -> Any:
    return build_request({"first_frame_file_id": image or sim.add_file("png"), "prompt": prompt})


def test_a_retry_that_rendered_differently_reuses_the_running_task(
    topview_connection: TopviewSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10**6
    store, image = DictStore(), sim.add_file("png")
    first, _ = attempt(store, request_for(sim, "seed 1", image), try_number=1)
    with caplog.at_level(logging.INFO):
        second, finished = attempt(store, request_for(sim, "seed 2", image), try_number=2)
    assert second == first
    assert finished is None  # still running: the retry waits for it
    assert len(sim.requests_to("submit")) == 1
    assert "reusing (on_changed_request='reuse')" in caplog.text


def test_a_retry_that_rendered_differently_reuses_the_succeeded_task(
    topview_connection: TopviewSimulator,
) -> None:
    sim = topview_connection
    store, image = DictStore(), sim.add_file("png")
    first, _ = attempt(store, request_for(sim, "time 10:00", image))
    sim.finish_task(first)
    second, finished = attempt(store, request_for(sim, "time 10:05", image), try_number=2)
    assert second == first
    assert finished is not None
    assert finished["status"] == "success"
    assert len(sim.requests_to("submit")) == 1


@pytest.mark.parametrize("choice", ["resubmit", "fail"])
def test_on_changed_request_chooses_for_a_re_rendered_retry(
    topview_connection: TopviewSimulator, choice: str
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10**6
    store, image = DictStore(), sim.add_file("png")
    attempt(store, request_for(sim, "seed 1", image), on_changed_request=choice)
    if choice == "fail":
        with pytest.raises(TopviewChangedRequestError, match="on_changed_request='fail'"):
            attempt(store, request_for(sim, "seed 2", image), try_number=2, on_changed_request=choice)
        assert len(sim.requests_to("submit")) == 1
    else:
        attempt(store, request_for(sim, "seed 2", image), try_number=2, on_changed_request=choice)
        assert len(sim.requests_to("submit")) == 2


def test_a_clear_with_a_really_changed_request_submits_anew(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10**6
    store, image = DictStore(), sim.add_file("png")
    first, _ = attempt(store, request_for(sim, "a lighthouse", image), max_tries=2)
    second, _ = attempt(store, request_for(sim, "a paper boat", image), try_number=2, max_tries=4)  # cleared
    assert second != first
    assert len(sim.requests_to("submit")) == 2


def test_a_then_b_then_a_pays_for_a_once(
    topview_connection: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10**6
    store, image = DictStore(), sim.add_file("png")
    a_first, _ = attempt(store, request_for(sim, "A", image), try_number=1, max_tries=2)
    b, _ = attempt(store, request_for(sim, "B", image), try_number=2, max_tries=4)  # cleared with B
    a_again, _ = attempt(store, request_for(sim, "A", image), try_number=3, max_tries=6)  # cleared with A
    assert a_again == a_first
    assert b != a_first
    assert len(sim.requests_to("submit")) == 2
    assert len(store.values[JOURNAL_KEY]["submits"]) == 2
    hardening_report.note(
        "pay once #3 round 3", "pay once round 3 #3: A -> B -> A clears: 2 submits, A reused"
    )


def test_the_earlier_releases_single_record_is_still_reused(topview_connection: TopviewSimulator) -> None:
    from airflow_topview.submit.journal import fingerprint

    sim = topview_connection
    sim.polls_to_finish = 10**6
    request = request_for(sim, "A")
    first, _ = attempt(DictStore(), request)
    old = {"fingerprint": fingerprint(request.to_body()), "attempted_at": "t", "topview_task_id": first}
    again, _ = attempt(DictStore(**{JOURNAL_KEY: old}), request, try_number=2)
    assert again == first
    assert len(sim.requests_to("submit")) == 1


def test_a_single_4004_for_an_earlier_task_never_pays_again(topview_connection: TopviewSimulator) -> None:
    """TopView created the task; a 'not found' answer later does not prove it will not be billed."""
    sim = topview_connection
    sim.polls_to_finish = 10**6
    store, request = DictStore(), request_for(sim, "A")
    attempt(store, request)
    sim.inject("query", Fault.code("4004"), times=1)
    with pytest.raises(TopviewSubmitUncertainError, match="4004"):
        attempt(store, request, try_number=2)
    assert len(sim.requests_to("submit")) == 1
    sim.inject("query", Fault.code("4004"), times=1)
    attempt(store, request, try_number=3, on_uncertain_submit="resubmit")  # the explicit choice
    assert len(sim.requests_to("submit")) == 2


def test_with_clear_on_success_an_empty_journal_on_a_later_try_is_not_trusted(
    topview_connection: TopviewSimulator,
) -> None:
    sim = topview_connection
    request = request_for(sim, "A")
    with pytest.raises(TopviewSubmitUncertainError, match="clear_on_success"):
        attempt(DictStore(), request, try_number=2, journal_cleared_on_success=True)
    assert sim.requests_to("submit") == []
    attempt(DictStore(), request, try_number=1, journal_cleared_on_success=True)  # a first try submits
    assert len(sim.requests_to("submit")) == 1


@needs_task_state_store
@pytest.mark.parametrize(("dag_id", "submits"), [("reuse", 1), ("resubmit", 3), ("fail", 1)])
def test_retries_of_a_template_that_changes_per_try(
    topview_connection: TopviewSimulator,
    dag_runner: DagRunner,
    hardening_report: HardeningReport,
    dag_id: str,
    submits: int,
) -> None:
    """``retries=2``, a wait that times out while TopView still renders, a prompt with the try number."""
    sim = topview_connection
    sim.polls_to_finish = 10**6
    result = dag_runner.run(f"topview_pay_rerender_{dag_id}", conf={"first": sim.add_file("png")})
    assert result.state == "failed"
    assert len(sim.requests_to("submit")) == submits
    assert result.tries[("submit", -1)] == (2 if dag_id == "fail" else 3)
    if dag_id == "reuse":
        assert result.log.count("reusing (on_changed_request='reuse')") == 2
        hardening_report.note(
            "pay once #1 round 3",
            "pay once round 3 #1: 3 tries whose prompt re-renders (try number, uuid): 1 submit, reused twice",
        )


@needs_task_state_store
def test_a_discarded_task_state_is_read_back_from_the_journal_copy(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, hardening_report: HardeningReport
) -> None:
    """Airflow 3.4's default clear discards task_state_store: the copy in a Variable still knows the task."""
    sim = topview_connection
    sim.polls_to_finish = 10**6
    result = dag_runner.run("topview_pay_discarded", conf={"first": sim.add_file("png")})
    assert result.tries[("submit", -1)] == 3
    assert len(sim.requests_to("submit")) == 1
    assert result.log.count("This task's state store has no submit journal, but its copy in Variable") == 2
    assert result.log.count("An earlier try submitted TopView task") == 2
    hardening_report.note(
        "pay once #4 round 4",
        "pay once round 4 #4: task state discarded before each of 3 tries (a 3.4 clear): 1 submit, "
        "the journal read back from its Variable copy",
    )


def test_durable_false_submits_on_every_try(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    """Airflow's ``durable=False``: no journal, a new (paid) task per try, said in the log."""
    sim = topview_connection
    sim.polls_to_finish = 10**6
    result = dag_runner.run("topview_pay_not_durable", conf={"first": sim.add_file("png")})
    assert result.tries[("submit", -1)] == 3
    assert len(sim.requests_to("submit")) == 3
    assert result.log.count("durable=False: submitting a new TopView task") == 3


def test_a_deleted_runs_copy_is_never_read_by_the_run_that_took_its_id(
    topview_connection: TopviewSimulator,
) -> None:
    """A scheduled run made again has the same run_id and run_after: its first try deletes the old copy.

    Try 1 fails before journaling (TopView refuses the callback URL); try 2 asks for something else and
    must pay for it, not find the deleted run's video.
    """
    from airflow_topview.exceptions import TopviewAPIError
    from tests.unit.test_journal_copy import OWNER, DictCopy

    sim = topview_connection
    image = sim.add_file("png")
    variables: dict[str, Any] = {}
    attempt(DictStore(), request_for(sim, "a cat", image), copy=DictCopy(OWNER, variables))  # the old run
    [old_task] = sim.tasks
    sim.inject("notice_check", Fault.code("4001"))
    dog = build_request(
        {"first_frame_file_id": image, "prompt": "a dog", "notice_url": "https://example.com/n"}
    )
    store = DictStore()  # the new run: same owner, empty store
    with pytest.raises(TopviewAPIError):
        attempt(store, dog, try_number=1, copy=DictCopy(OWNER, variables))
    assert variables == {}
    task_id, _ = attempt(store, dog, try_number=2, copy=DictCopy(OWNER, variables))
    assert task_id != old_task
    assert [entry.json["prompt"] for entry in sim.requests_to("submit")] == ["a cat", "a dog"]
