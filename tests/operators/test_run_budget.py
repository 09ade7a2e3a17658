"""A budget for the whole run: the example DAG end to end, and every way the budget must say no first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

pytestmark = pytest.mark.dag

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "dags"
EXAMPLE = "example_topview_budget"
PER_VIDEO = 0.6  # seedance-1.5-pro at 720p, 5 s: 0.12 credits/s (../shared/topview-models.json)
PAID = {"credential", "upload", "check", "submit"}  # endpoints that move files or spend credits


@pytest.fixture
def examples(airflow_home: Path, capfd: pytest.CaptureFixture[str]) -> DagRunner:
    return DagRunner(EXAMPLE_DAGS, capfd)


def connect(sim: TopviewSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "topview", "login": sim.uid, "password": sim.api_key, "host": sim.base_url}
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(conn))


def test_example_prices_the_fan_out_first_and_reports_the_charge(
    examples: DagRunner, topview_connection: TopviewSimulator
) -> None:
    sim = topview_connection
    result = examples.run(EXAMPLE)
    assert result.state == "success", result.log[-4000:]
    endpoints = [entry.endpoint for entry in sim.journal]
    assert endpoints[0] == "credit"  # the balance is read before anything is uploaded or paid
    assert endpoints.count("submit") == 3
    assert result.xcom("budget") == {
        "videos": 3,
        "credits_per_video": PER_VIDEO,
        "estimated_credits": pytest.approx(3 * PER_VIDEO),
        "max_credits": 10.0,
        "remaining_credits": 10000.0,
        "approved_by": "budget",
    }
    report = result.xcom("cost_report")
    assert report["tasks"] == {task_id: task.cost for task_id, task in sim.tasks.items()}
    assert report["charged_credits"] == pytest.approx(sum(task.cost or 0 for task in sim.tasks.values()))
    assert report["charged_credits"] > 0
    assert report["estimated_credits"] == pytest.approx(3 * PER_VIDEO)
    assert report["max_credits"] == 10.0
    assert report["unfinished"] == []
    assert f"TopView charged {report['charged_credits']:g} credits for 3 task(s)" in result.log


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"max_credits": 1}, "above the run budget of 1"),
        ({"model": "mystery-model-9"}, "The run budget cannot be enforced"),
        ({"duration": 500}, "Invalid Image-to-Video settings"),
    ],
    ids=["over-budget", "unknown-rate", "impossible-settings"],
)
def test_example_stops_before_any_upload_or_submit(
    examples: DagRunner, topview_connection: TopviewSimulator, conf: dict[str, object], message: str
) -> None:
    sim = topview_connection
    result = examples.run(EXAMPLE, conf=conf)
    assert result.state == "failed"
    assert result.task_state("budget") == "failed"
    assert message in result.log
    assert not PAID & {entry.endpoint for entry in sim.journal}
    assert sim.tasks == {}


def test_example_stops_when_the_account_cannot_cover_the_run(
    examples: DagRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TopviewSimulator(credits=1.0) as sim:
        connect(sim, monkeypatch)
        result = examples.run(EXAMPLE)
    assert result.state == "failed"
    assert "The account has 1 credits left, less than the run's estimated 1.8 credits (3 x 0.6)" in result.log
    assert not PAID & {entry.endpoint for entry in sim.journal}


@pytest.mark.parametrize(
    ("conf", "refused", "message"),
    [
        ({"approve": 1, "duration": 5}, 1, "the run budget approved 1 video(s); this is number 2"),
        ({"approve": 2, "duration": 10}, None, "more than the 0.6 per video the run budget approved"),
    ],
    ids=["more-videos-than-approved", "dearer-than-approved"],
)
def test_a_submit_beyond_the_approval_never_pays(
    dag_runner: DagRunner,
    topview_connection: TopviewSimulator,
    conf: dict[str, object],
    refused: int | None,
    message: str,
) -> None:
    sim = topview_connection
    images = [sim.add_file("png"), sim.add_file("png")]
    result = dag_runner.run("topview_test_run_budget", conf={**conf, "images": images})
    assert result.state == "failed"
    assert message in result.log
    submitted = [entry.json["firstFrameFileId"] for entry in sim.requests_to("submit")]
    report = result.xcom("cost_report")  # it still runs (all_done), then fails the run
    if refused is None:  # every submit is dearer than approved
        assert submitted == []
        assert report["failed_submits"] == ["generate_0", "generate_1"]
    else:
        assert result.task_state("generate", refused) == "failed"
        assert submitted == [images[0]]
        assert report["failed_submits"] == [f"generate_{refused}"]
    assert set(report["tasks"]) == set(sim.tasks)
    assert report["charged_credits"] <= report["estimated_credits"]


def test_the_report_names_an_uncertain_submit_whose_charge_it_cannot_know(
    dag_runner: DagRunner, topview_connection: TopviewSimulator
) -> None:
    sim = topview_connection
    images = [sim.add_file("png"), sim.add_file("png")]
    sim.inject("submit", Fault.code("5000", after_accepting=True))  # created, but the answer is an error
    result = dag_runner.run("topview_test_run_budget", conf={"approve": 2, "duration": 5, "images": images})
    assert result.state == "failed"
    assert len(sim.tasks) == 2  # both were created (and may be billed)
    report = result.xcom("cost_report")
    assert len(report["tasks"]) == 1  # the one whose task id came back
    assert len(report["failed_submits"]) == 1
    assert "failed submits (cost unknown, check the TopView web app): ['generate_" in result.log


def test_one_runs_conf_never_leaks_into_the_next_run_of_the_same_dag(
    examples: DagRunner, topview_connection: TopviewSimulator
) -> None:
    """The test runner reuses DAG objects; a refused run's conf must not refuse the next run too."""
    assert examples.run(EXAMPLE, conf={"max_credits": 1, "model": "mystery-model-9"}).state == "failed"
    result = examples.run(EXAMPLE)
    assert result.state == "success", result.log[-3000:]
    assert result.xcom("budget")["max_credits"] == 10.0


def test_one_approval_shared_by_two_submit_tasks_is_refused_before_anything_is_paid(
    dag_runner: DagRunner, topview_connection: TopviewSimulator
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_test_run_budget_shared")
    assert result.task_state("budget") == "failed"
    assert "submit tasks first, second share this budget" in result.log
    assert sim.requests_to("submit") == []


def test_a_missing_approval_never_means_no_budget(
    dag_runner: DagRunner, topview_connection: TopviewSimulator
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_test_run_budget_missing")
    assert result.task_state("budget") == "success"
    assert result.task_state("generate", 0) == "failed"
    assert result.task_state("generate", 1) == "failed"
    assert "run_budget: expected the approval pushed by RunBudgetOperator" in result.log
    assert sim.requests_to("submit") == []


@pytest.mark.parametrize(
    "approval", [{"videos": 2, "credits_per_video": float("nan")}, "{'videos': 2}", None, {"videos": True}]
)
def test_a_malformed_approval_fails_closed(approval: object) -> None:
    from airflow_topview.catalog import estimate_cost, get_catalog
    from airflow_topview.client.request import build_request
    from airflow_topview.submit.run_budget import check_covered

    request = build_request({"model": "seedance-1.5-pro", "first_frame_file_id": "f", "duration": 5})
    estimate = estimate_cost(request, get_catalog(None).find(request.model))
    from airflow_topview.exceptions import TopviewBudgetError

    with pytest.raises(TopviewBudgetError, match="run_budget: expected the approval"):
        check_covered(approval, estimate, 0, ["budget"])


@pytest.mark.parametrize("budget", ["inf", float("inf"), float("nan"), -1])
def test_budgets_must_be_finite_and_not_negative(budget: object) -> None:
    from airflow_topview.exceptions import TopviewBudgetError
    from airflow_topview.submit.model_checks import budget_from

    with pytest.raises(TopviewBudgetError, match="max_credits: must be a finite number"):
        budget_from(budget)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("generate_1", True), ("generate", True), ("step_2", True), ("step", False), ("upload_0", False)],
)
def test_failed_submits_are_told_from_task_state_names(name: str, expected: bool) -> None:
    from airflow_topview.operators.budget import names_one_of

    assert names_one_of(name, ["generate", "step_2"]) is expected


@pytest.mark.parametrize(
    ("dag_id", "refused_by"),
    [("topview_test_run_budget_relayed", "submit"), ("topview_test_run_budget_templated", "budget")],
)
def test_an_approval_that_travels_another_way_is_refused_before_anything_is_paid(
    dag_runner: DagRunner, topview_connection: TopviewSimulator, dag_id: str, refused_by: str
) -> None:
    """An approval of 2 reaching two mapped submit tasks of 2 (through a @task, or a template)."""
    sim = topview_connection
    sim.add_file("png")
    result = dag_runner.run(dag_id)
    assert sim.requests_to("submit") == []  # not 4 paid submits under an approval of 2: none at all
    if refused_by == "budget":
        assert result.task_state("budget") == "failed"
        assert "submit tasks first, second share this budget" in result.log
    else:
        assert result.task_state("first", 0) == "failed"
        assert "did not come straight from it" in result.log
