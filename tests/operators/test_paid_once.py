"""Never pay twice: every answer that does not prove "no task was created" stops the submit for good.

Each fault here lets the simulator create (and bill) the task first and only then answer badly, the
way a gateway timing out in front of TopView would. The journal and the simulator's task list show
what was sent and what was created.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.exceptions import TopviewAPIError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport, needs_task_state_store

GATEWAY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>\xff\xfe upstream</body></html>"

# Answers after TopView accepted (and billed) the task: none of them may lead to a second submit.
AMBIGUOUS: dict[str, Callable[[], Fault]] = {
    "HTTP 500": lambda: Fault.http(500, after_accepting=True),
    "HTTP 502 gateway page": lambda: Fault.http(502, body=GATEWAY_PAGE, after_accepting=True),
    "HTTP 503": lambda: Fault.http(503, after_accepting=True),
    "HTTP 504": lambda: Fault.http(504, after_accepting=True),
    **{
        f"code {code}": (lambda code=code: Fault.code(code, after_accepting=True))
        for code in ("5000", "5001", "5004", "5005")
    },
    "malformed 200": lambda: Fault.malformed(after_accepting=True),
    "dropped connection": lambda: Fault.drop(after_accepting=True),
    "HTTP 502 with a JSON code": lambda: Fault.http(
        502, body='{"code": 502, "message": "Bad Gateway"}', after_accepting=True
    ),
    "unknown code 5002": lambda: Fault.code("5002", after_accepting=True),
    "200 with result null": lambda: Fault.result(None),
    "200 with a numeric taskId": lambda: Fault.result({"taskId": 12345, "status": "success"}),
    "200 with an empty taskId": lambda: Fault.result({"taskId": "", "status": "success"}),
}


def fast_hook() -> TopviewHook:
    return TopviewHook(retry_limit=5, retry_delay=0.01, retry_max_delay=0.05, busy_timeout=5, timeout=5)


@pytest.mark.parametrize("fault_name", list(AMBIGUOUS))
def test_ambiguous_answer_to_a_submit_is_never_resent(
    topview_connection: TopviewSimulator, hardening_report: HardeningReport, fault_name: str
) -> None:
    sim = topview_connection
    sim.inject("submit", AMBIGUOUS[fault_name](), times=None)
    request = build_request({"first_frame_file_id": sim.add_file("png")})
    with pytest.raises(TopviewSubmitUncertainError) as raised:
        fast_hook().submit_image_to_video(request)
    submits, created = len(sim.requests_to("submit")), len(sim.tasks)
    ok = submits == 1 and created == 1 and "may have created" in str(raised.value)
    hardening_report.record("pay once #1-2 ambiguous submit answers", ok)
    hardening_report.note(
        "pay once #1-2 ambiguous submit answers",
        "(HTTP 5xx pages, 5000/5001/5004/5005, malformed, dropped, 200 without a readable taskId, "
        "each after the task was created): never resent, 1 submit and 1 task each",
    )
    assert (submits, created) == (1, 1)
    assert "may have created" in str(raised.value)


@pytest.mark.parametrize(
    ("fault", "answers"),
    [
        (Fault.code("4007"), [("4007",), ("200",)]),
        (Fault.code("5003"), [("5003",), ("200",)]),
        (Fault.http(429, retry_after=0.01), [(None,), ("200",)]),
    ],
    ids=["4007 busy", "5003 busy", "HTTP 429"],
)
def test_answers_proving_nothing_was_created_are_retried(
    topview_connection: TopviewSimulator, fault: Fault, answers: list[tuple[str | None]]
) -> None:
    sim = topview_connection
    sim.inject("submit", fault, times=1)
    request = build_request({"first_frame_file_id": sim.add_file("png")})
    result = fast_hook().submit_image_to_video(request)
    assert [(entry.code,) for entry in sim.requests_to("submit")] == answers
    assert list(sim.tasks) == [result.task_id]


def test_refused_connection_is_retried_and_a_permanent_refusal_is_not(
    topview_connection: TopviewSimulator,
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.code("4000"), times=None)
    with pytest.raises(TopviewAPIError, match="4000"):
        fast_hook().submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")}))
    assert len(sim.requests_to("submit")) == 1


def test_operator_fails_an_ambiguous_submit_without_any_retry(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.http(502, body=GATEWAY_PAGE, after_accepting=True), times=None)
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1  # retries=2 in the DAG: none of them may run
    assert "TopView may have created (and will bill) a task, so it is not sent again" in result.log
    assert "submit sent at" in result.log
    assert (len(sim.requests_to("submit")), len(sim.tasks)) == (1, 1)


@needs_task_state_store
def test_submit_cut_off_by_execution_timeout_is_not_paid_again(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, hardening_report: HardeningReport
) -> None:
    sim = topview_connection
    # The task is created at once, its answer held past the task's 2 s execution_timeout.
    sim.inject("submit", Fault.slow(6), times=None)
    result = dag_runner.run("topview_hostile_timeout_fail", conf={"first": sim.add_file("png")})
    assert result.state == "failed", result.log[-3000:]
    assert result.tries[("submit", -1)] == 2
    assert "never recorded TopView's answer" in result.log
    assert "topview_task_id unknown" in result.log
    assert "on_uncertain_submit='resubmit'" in result.log
    submits, created = len(sim.requests_to("submit")), len(sim.tasks)
    hardening_report.note(
        "pay once #3 execution_timeout mid-submit",
        f"pay once #3: execution_timeout while the submit answer was in flight: {submits} submit, "
        "the retry failed as uncertain",
    )
    assert (submits, created) == (1, 1)


@needs_task_state_store
def test_resubmit_after_an_uncertain_submit_is_an_explicit_choice(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.slow(6), times=1)
    result = dag_runner.run("topview_hostile_timeout_resubmit", conf={"first": sim.add_file("png")})
    assert result.state == "success", result.log[-3000:]
    assert "submitting again as on_uncertain_submit='resubmit'" in result.log
    assert len(sim.requests_to("submit")) == 2


@needs_task_state_store
def test_an_unanswered_submit_blocks_a_retry_even_when_the_request_changed(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    """The prompt renders the try number, so the retry's request differs: it must still not pay again."""
    sim = topview_connection
    sim.inject("submit", Fault.slow(6), times=None)
    result = dag_runner.run("topview_hostile_timeout_changing", conf={"first": sim.add_file("png")})
    assert result.state == "failed", result.log[-3000:]
    assert result.tries[("submit", -1)] == 2
    assert "never recorded TopView's answer" in result.log
    assert (len(sim.requests_to("submit")), len(sim.tasks)) == (1, 1)


def test_a_broken_connection_extra_fails_before_the_journal(
    topview_simulator: TopviewSimulator, dag_runner: DagRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was sent, so no try may later claim an unanswered submit."""
    import json

    sim = topview_simulator
    connection = {
        "conn_type": "topview",
        "login": sim.uid,
        "password": sim.api_key,
        "host": sim.base_url,
        "extra": json.dumps({"proxies": 5}),
    }
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "failed"
    assert "never recorded TopView's answer" not in result.log
    assert sim.requests_to("submit") == []
