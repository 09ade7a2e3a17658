"""The review examples in a real deployment: a person's choice, sent through the REST API, picks downloads.

The same deployment runs the Text-to-Video brief example (approved through the REST API) and the Omni
Reference product-shots example, so both new task types wait in a real triggerer.

``dags/example_topview_review.py`` runs unchanged (LocalExecutor, a triggerer) against the simulator. The
test waits for the review task to ask, reads what it shows (prompt, model, cost, a link per candidate),
answers it the way the UI's "Required actions" form does (``PATCH .../hitlDetails``), and checks that
only the chosen video was fetched and written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import AirflowDeployment, example_deployment, wait_until

pytestmark = pytest.mark.deploy

EXAMPLE = Path(__file__).resolve().parents[2] / "dags" / "example_topview_review.py"
DAG_ID = "example_topview_review"
BRIEF_DAG_ID = "example_topview_brief_to_video"
SHOTS_DAG_ID = "example_topview_product_shots"
UID, API_KEY = "review-uid", "sk-review-secret"


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=1) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    connection = {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url}
    with example_deployment(
        tmp_path_factory,
        EXAMPLE.name,
        connection,
        (DAG_ID, BRIEF_DAG_ID, SHOTS_DAG_ID),
        also=(f"{BRIEF_DAG_ID}.py", f"{SHOTS_DAG_ID}.py"),
    ) as airflow:
        yield airflow


def hitl_detail(deployment: AirflowDeployment, run_id: str, dag_id: str = DAG_ID) -> dict[str, Any] | None:
    """The review task's question once it is waiting for an answer (None before)."""
    ti = deployment.task_instance(dag_id, run_id, "review")
    if not ti or ti["state"] not in ("awaiting_input", "deferred"):
        return None
    try:
        detail: dict[str, Any] = deployment.get(
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails"
        )
    except requests.RequestException:  # a slow answer under load: ask again
        return None
    return detail


def test_person_picks_one_candidate_and_only_that_video_is_downloaded(
    deployment: AirflowDeployment,
    simulator: TopviewSimulator,
    tmp_path: Path,
    hardening_report: HardeningReport,
) -> None:
    prompt = "A paper boat drifts across a puddle"
    out = tmp_path / "videos"
    run_id = deployment.trigger(DAG_ID, {"prompt": prompt, "output_dir": str(out)})
    try:
        detail = wait_until(lambda: hitl_detail(deployment, run_id), timeout=240, what="the review to ask")
    except TimeoutError as exc:
        states = deployment.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")["task_instances"]
        raise AssertionError(
            f"{[(ti['task_id'], ti['state']) for ti in states]}\n{deployment.logs()}"
        ) from exc

    [topview_task_id] = simulator.tasks
    task = simulator.tasks[topview_task_id]
    assert task.body["generatingCount"] == 3
    assert detail["options"] == ["Video 1", "Video 2", "Video 3"]
    assert detail["multiple"] is True
    assert prompt in detail["subject"]
    body = detail["body"]
    assert prompt in body
    assert "seedance-1.5-pro" in body
    assert f"**Cost:** {task.cost} credits for 3" in body
    # duration and resolution unset: priced at the model's most, so the estimate is an upper bound
    assert re.search(r"credits for 3\s+videos \(estimated at most \d+(\.\d+)?\) ", body), body
    assert topview_task_id in body
    links = [line for line in body.splitlines() if line.startswith("| Video ")]
    assert len(links) == 3
    assert all("[watch](http://127.0.0.1:" in line for line in links)  # a link to each candidate
    assert not out.exists()  # nothing downloaded before the answer

    # A person answers seconds later, not at once: wait until the scheduler has processed the parked try's
    # exit, or Airflow 3.3 may take that late report for a kill (see scheduler_saw_workload_end).
    review_ti = deployment.task_instance(DAG_ID, run_id, "review")
    assert review_ti is not None
    wait_until(
        lambda: deployment.scheduler_saw_workload_end(review_ti["id"]),
        timeout=60,
        what="the scheduler to process the review task's parked try",
    )
    # The person keeps the second candidate, as the UI's form sends it.
    deployment.send(
        "PATCH",
        f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails",
        {"chosen_options": ["Video 2"]},
    )
    assert deployment.wait_for_run_end(DAG_ID, run_id) == "success", deployment.logs()

    [written] = sorted(out.iterdir())
    assert written.name == f"{topview_task_id}_video2.mp4"  # named after the chosen candidate
    assert written.read_bytes()[4:8] == b"ftyp"
    [fetched] = simulator.requests_to("download")
    second = links[1].split("](")[1].split(")")[0]
    assert f"{fetched.path}?" in second, (second, fetched.path)  # the chosen candidate, no other
    answered = deployment.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails")
    assert answered["chosen_options"] == ["Video 2"]
    hardening_report.note(
        "deployment review",
        "deployment: a human review answered through the REST API; only the chosen video was downloaded",
    )


def test_a_brief_becomes_clips_that_are_downloaded_once_a_person_approves(
    deployment: AirflowDeployment, simulator: TopviewSimulator, tmp_path: Path
) -> None:
    simulator.reset()  # this test's requests only
    brief = ["A paper boat in a puddle", "A fox in the snow"]
    out = tmp_path / "clips"
    run_id = deployment.trigger(BRIEF_DAG_ID, {"brief": brief, "output_dir": str(out)})
    try:
        detail = wait_until(
            lambda: hitl_detail(deployment, run_id, BRIEF_DAG_ID), timeout=240, what="the approval to ask"
        )
    except TimeoutError as exc:
        raise AssertionError(deployment.logs()) from exc
    submits = simulator.submits("text2video")
    assert sorted(entry.json["prompt"] for entry in submits) == sorted(brief)
    assert all(entry.json["model"] == "Seedance 1.5 Pro" for entry in submits)
    assert detail["options"] == ["Approve", "Reject"]
    rows = [line for line in detail["body"].splitlines() if line.startswith("| A ")]
    assert len(rows) == 2
    assert all("credits | [watch](http://127.0.0.1:" in row for row in rows)
    assert not out.exists()  # nothing downloaded before the approval

    review_ti = deployment.task_instance(BRIEF_DAG_ID, run_id, "review")
    assert review_ti is not None
    wait_until(
        lambda: deployment.scheduler_saw_workload_end(review_ti["id"]),
        timeout=60,
        what="the scheduler to process the approval task's parked try",
    )
    deployment.send(
        "PATCH",
        f"/dags/{BRIEF_DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails",
        {"chosen_options": ["Approve"]},
    )
    assert deployment.wait_for_run_end(BRIEF_DAG_ID, run_id) == "success", deployment.logs()
    clip_tasks = {task_id for task_id, task in simulator.tasks.items() if task.task_type == "text2video"}
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{task}_0.mp4" for task in clip_tasks)
    assert not simulator.requests_to("query")  # every wait and download read Text-to-Video's endpoint


def test_product_shots_become_omni_reference_clips_in_a_deployment(
    deployment: AirflowDeployment, simulator: TopviewSimulator, tmp_path: Path
) -> None:
    simulator.reset()  # this test's requests only
    out = tmp_path / "clips"
    run_id = deployment.trigger(SHOTS_DAG_ID, {"output_dir": str(out)})
    assert deployment.wait_for_run_end(SHOTS_DAG_ID, run_id) == "success", deployment.logs()
    submits = simulator.submits("omni_reference")
    assert len(submits) == 2
    assert len(simulator.submits()) == 2  # one per scene, nothing else paid
    names = {tuple(item["name"] for item in entry.json["inputImages"]) for entry in submits}
    assert names == {("Product1", "Product2")}
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{task}_0.mp4" for task in simulator.tasks)
    assert not simulator.requests_to("query")  # waited (in the triggerer) at Omni Reference's endpoint
    assert simulator.requests_to("omni_reference_query")
