"""A real Airflow deployment survives a triggerer restart and a killed task, and TopView bills once.

It also shows, through the simulator's journal and Airflow's REST API: a task killed while its submit's
answer is in flight is not submitted again (the run fails as uncertain); a cleared task reuses the
finished TopView task of the same request and submits anew once the request changed; an error that
quotes the API key reaches the task through the triggerer with the key masked, and no log or XCom
holds it.

Slow (two or three minutes): it starts Airflow's own processes on loopback and drives them through the
REST API. All tests share one deployment and one simulator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_topview.testing import Fault, JournalEntry, TaskRecord, TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import COMPONENTS, AirflowDeployment, find_task_process, wait_until

pytestmark = pytest.mark.deploy

DAGS = Path(__file__).parent / "dags"
UID, API_KEY = "deploy-uid", "sk-deploy-secret"
PROMPT_VARIABLE = "topview_deploy_prompt"


def submits_for(simulator: TopviewSimulator, image: str) -> list[JournalEntry]:
    """Answered submits for one image (a submit whose answer is still held has no body in the journal)."""
    return [
        entry
        for entry in simulator.requests_to("submit")
        if isinstance(entry.json, dict) and entry.json.get("firstFrameFileId") == image
    ]


def answers_in_flight(simulator: TopviewSimulator) -> list[JournalEntry]:
    """Requests the simulator has not answered yet (a dropped connection is answered: fault ``drop``)."""
    return [entry for entry in simulator.journal if entry.status is None and entry.fault is None]


def tasks_for(simulator: TopviewSimulator, image: str) -> dict[str, TaskRecord]:
    """TopView tasks the simulator created for one image, whether or not their submit was answered."""
    return {
        task_id: task
        for task_id, task in simulator.tasks.items()
        if task.body.get("firstFrameFileId") == image
    }


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    # Long enough that the task is still running while components are killed and restarted.
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=20) as sim:
        yield sim
        # A held answer whose client was killed still runs out its time in the simulator; stopping the
        # server under it would destroy the pending handler. In file order it has long ended by now.
        sim.wait_for(lambda: not answers_in_flight(sim), timeout=70)


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    home = tmp_path_factory.mktemp("airflow-deployment")
    airflow = AirflowDeployment(
        home,
        DAGS,
        {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url},
    )
    airflow.migrate()
    for component in COMPONENTS:
        airflow.start(component)
    try:
        for dag_id in (
            "topview_deploy_deferrable",
            "topview_deploy_polling",
            "topview_deploy_prompt",
            "topview_deploy_pipeline",
        ):
            wait_until(lambda dag_id=dag_id: airflow.dag_ready(dag_id), timeout=240, what=f"{dag_id} parsed")
        yield airflow
    finally:
        airflow.stop_all()


def test_task_killed_while_its_submit_answer_is_held_fails_as_uncertain(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    dag_id = "topview_deploy_polling"
    image = simulator.add_file("png")
    journal_start = len(simulator.journal)
    # TopView creates the task at once and holds the answer: the worker dies waiting for it.
    simulator.inject("submit", Fault.slow(60), times=1)
    try:
        run_id = deployment.trigger(dag_id, {"first": image})
        wait_until(lambda: tasks_for(simulator, image), timeout=180, what="TopView to create the task")
        [held] = wait_until(
            lambda: [entry for entry in simulator.journal[journal_start:] if entry.endpoint == "submit"],
            timeout=10,
            what="the submit in the journal",
        )
        assert held.status is None  # its answer is still held
        ti = wait_until(
            lambda: (
                (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "running" and ti
            ),
            timeout=60,
            what="the task to be running",
        )
        task_process = wait_until(lambda: find_task_process(ti["id"]), timeout=30, what="the task's process")
        task_process.kill()

        state = deployment.wait_for_run_end(dag_id, run_id)
    finally:
        # Nothing waits on the held answer (it ends on its own after 60 s); no fault outlives the test.
        simulator.clear_faults()
    assert state == "failed", deployment.logs()
    final = deployment.task_instance(dag_id, run_id, "submit")
    assert final is not None
    assert (final["state"], final["try_number"]) == ("failed", 2)  # Airflow retried once; no more tries
    # TopView got exactly one submit for this image: the held one. The retry sent nothing.
    assert [entry.endpoint for entry in simulator.journal[journal_start:]].count("submit") == 1
    assert len(tasks_for(simulator, image)) == 1
    assert len(submits_for(simulator, image)) <= 1  # the held entry gets its body once answered
    # The journal in task_state_store kept the intent without a task id, read back through the REST API.
    [record] = deployment.task_state_store(dag_id, run_id, "submit")["topview_submit"]["submits"]
    assert record["topview_task_id"] is None
    assert record["fingerprint"]
    retry_log = deployment.task_log(dag_id, run_id, "submit", 2)
    assert "never recorded TopView's answer" in retry_log
    assert "topview_task_id unknown" in retry_log
    assert "Submitting TopView Image-to-Video task" not in retry_log
    hardening_report.note(
        "deployment kill mid-submit",
        "deployment: task SIGKILLed while its submit's answer was held failed as uncertain with 1 submit",
    )


def test_deferred_task_survives_a_triggerer_restart(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    dag_id = "topview_deploy_deferrable"
    image = simulator.add_file("png")
    run_id = deployment.trigger(dag_id, {"first": image})
    wait_until(
        lambda: (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "deferred",
        timeout=180,
        what="the task to defer",
    )
    [topview_task_id] = tasks_for(simulator, image)
    deployment.kill("triggerer")
    queries_before_restart = len(simulator.requests_to("query"))
    deployment.start("triggerer")

    state = deployment.wait_for_run_end(dag_id, run_id)
    assert state == "success", deployment.logs()
    submits = submits_for(simulator, image)
    assert len(submits) == 1
    # The new triggerer picked the wait up: it polled after the restart and saw the task finish.
    later_queries = simulator.requests_to("query")[queries_before_restart:]
    assert any(entry.query["taskId"] == topview_task_id for entry in later_queries)
    assert simulator.tasks[topview_task_id].status == "success"
    hardening_report.note("deployment restart", "deployment: triggerer restart survived with 1 submit")


def test_killed_worker_task_is_retried_without_a_second_submit(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    dag_id = "topview_deploy_polling"
    image = simulator.add_file("png")
    run_id = deployment.trigger(dag_id, {"first": image})
    wait_until(
        lambda: submits_for(simulator, image),
        timeout=180,
        what="the submit",
    )
    ti = wait_until(
        lambda: (
            (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "running" and ti
        ),
        timeout=60,
        what="the task to be running",
    )
    task_process = wait_until(lambda: find_task_process(ti["id"]), timeout=30, what="the task's process")
    task_process.kill()

    state = deployment.wait_for_run_end(dag_id, run_id)
    assert state == "success", deployment.logs()
    final = deployment.task_instance(dag_id, run_id, "submit")
    assert final is not None
    assert final["try_number"] >= 2
    submits = submits_for(simulator, image)
    assert len(submits) == 1
    hardening_report.note("deployment kill", "deployment: killed task retried by Airflow with 1 submit")


def test_cleared_task_reuses_the_same_request_and_submits_a_changed_one(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    dag_id = "topview_deploy_prompt"
    image = simulator.add_file("png")
    first_prompt, second_prompt = f"A slow push-in on {image}", f"A fast pull-back from {image}"

    def run_to_success(run_id: str, try_number: int, prompt: str | None) -> None:
        """Wait for the run of ``try_number``; finish the TopView task when ``prompt`` is submitted."""
        if prompt is not None:
            [task_id] = wait_until(
                lambda: [
                    task_id
                    for task_id, task in tasks_for(simulator, image).items()
                    if task.body.get("prompt") == prompt
                ],
                timeout=180,
                what=f"a submit with the prompt {prompt!r}",
            )
            simulator.finish_task(task_id)  # rather than waiting out seconds_to_finish
        ti = wait_until(
            lambda: (
                (ti := deployment.task_instance(dag_id, run_id, "submit"))
                and ti["try_number"] == try_number
                and ti["state"] in ("success", "failed")
                and ti
            ),
            timeout=240,
            what=f"try {try_number} of the task to finish",
        )
        assert ti["state"] == "success", deployment.logs()
        assert deployment.wait_for_run_end(dag_id, run_id) == "success", deployment.logs()

    deployment.set_variable(PROMPT_VARIABLE, first_prompt)
    run_id = deployment.trigger(dag_id, {"first": image})
    run_to_success(run_id, 1, first_prompt)
    [first_submit] = submits_for(simulator, image)
    assert first_submit.json["prompt"] == first_prompt
    [first_task_id] = tasks_for(simulator, image)

    # Cleared with the Variable unchanged: the same request reuses the finished TopView task.
    [cleared] = deployment.clear_task(dag_id, run_id, "submit")
    assert cleared["task_id"] == "submit"
    run_to_success(run_id, 2, None)
    assert len(submits_for(simulator, image)) == 1
    same_log = deployment.task_log(dag_id, run_id, "submit", 2)
    assert f"An earlier try submitted TopView task {first_task_id} and it succeeded" in same_log
    assert deployment.xcoms(dag_id, run_id, "submit")["task_id"] == first_task_id

    # The Variable changed: the request differs, so the cleared task submits anew.
    deployment.set_variable(PROMPT_VARIABLE, second_prompt)
    deployment.clear_task(dag_id, run_id, "submit")
    run_to_success(run_id, 3, second_prompt)
    submits = submits_for(simulator, image)
    assert [entry.json["prompt"] for entry in submits] == [first_prompt, second_prompt]
    [second_task_id] = set(tasks_for(simulator, image)) - {first_task_id}
    changed_log = deployment.task_log(dag_id, run_id, "submit", 3)
    assert "for a different request" in changed_log
    assert deployment.xcoms(dag_id, run_id, "submit")["task_id"] == second_task_id
    records = deployment.task_state_store(dag_id, run_id, "submit")["topview_submit"]["submits"]
    assert [record["topview_task_id"] for record in records] == [first_task_id, second_task_id]
    assert records[1]["max_tries"] > records[0]["max_tries"]  # each clear raised max_tries
    hardening_report.note(
        "deployment clear",
        f"deployment: cleared task reused the same request and resubmitted a changed one "
        f"with {len(submits)} submit(s)",
    )


@pytest.mark.parametrize("encoding", ["plain", "base64"])
def test_key_quoted_by_the_server_reaches_the_deferred_task_masked_and_nowhere_else(
    deployment: AirflowDeployment,
    simulator: TopviewSimulator,
    hardening_report: HardeningReport,
    encoding: str,
) -> None:
    """The server quotes the key as it is, or base64-encoded with its header (as a debug page might)."""
    import base64

    leaked = API_KEY if encoding == "plain" else base64.b64encode(f"Bearer {API_KEY}".encode()).decode()
    dag_id = "topview_deploy_deferrable"
    image = simulator.add_file("png")
    journal_start = len(simulator.journal)
    run_id = deployment.trigger(dag_id, {"first": image})
    ti = wait_until(
        lambda: (
            (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "deferred" and ti
        ),
        timeout=180,
        what="the task to defer",
    )
    # The trigger fires only once Airflow has seen the deferring worker exit (see scheduler_saw_workload_end).
    wait_until(
        lambda: deployment.scheduler_saw_workload_end(ti["id"]),
        timeout=60,
        what="the scheduler to process the deferring worker's exit",
    )
    # From now on every status query is answered with an error quoting the request's Authorization header.
    simulator.inject("query", Fault.echo_auth(code="4000", encoding=encoding), times=None)  # type: ignore[arg-type]
    try:
        state = deployment.wait_for_run_end(dag_id, run_id)
    finally:
        simulator.clear_faults()
    assert state == "failed", deployment.logs()
    final = deployment.task_instance(dag_id, run_id, "submit")
    assert final is not None
    assert (final["state"], final["try_number"]) == ("failed", 1)  # a permanent error: no retries
    [topview_task_id] = tasks_for(simulator, image)
    assert len(submits_for(simulator, image)) == 1
    # The triggerer's query got the echo, key and all: the leak was really offered.
    queries = [
        entry
        for entry in simulator.journal[journal_start:]
        if entry.endpoint == "query" and entry.query.get("taskId") == topview_task_id
    ]
    assert [(entry.fault, entry.code) for entry in queries if entry.fault] == [("echo_auth", "4000")]

    task_log = deployment.task_log(dag_id, run_id, "submit", 1)
    # The trigger's error event reached the resumed worker, which failed the task with TopView's error.
    assert f"Waiting for TopView task {topview_task_id} failed: TopView error 4000" in task_log
    assert "***" in task_log
    assert API_KEY not in task_log
    assert leaked not in task_log

    log_files = deployment.log_files()
    names = {path.name for path in log_files}
    assert {f"{component}.log" for component in COMPONENTS} <= names
    assert any(f"run_id={run_id}" in str(path) for path in log_files), names  # this run's task logs
    leaks = [
        str(path)
        for path in log_files
        if API_KEY.encode() in path.read_bytes() or leaked.encode() in path.read_bytes()
    ]
    assert leaks == []
    # The trigger's event (with the server's text) is stored in the metadata DB too: masked there as well.
    assert API_KEY.encode() not in (deployment.home / "airflow.db").read_bytes()
    assert leaked.encode() not in (deployment.home / "airflow.db").read_bytes()
    xcoms = deployment.xcoms(dag_id, run_id, "submit")
    assert xcoms["task_id"] == topview_task_id
    assert API_KEY not in json.dumps(xcoms)
    hardening_report.note(
        "deployment echo",
        f"deployment: key quoted by the server reached the deferred task masked; {len(log_files)} log "
        f"files and {len(xcoms)} XComs without it, with {len(submits_for(simulator, image))} submit(s)",
    )


def test_clearing_the_whole_pipeline_mid_generation_pays_once(
    deployment: AirflowDeployment, simulator: TopviewSimulator, tmp_path: Path
) -> None:
    """upload -> submit-and-wait; the DAG run is cleared while TopView renders: the upload gets its file
    id back for the same bytes, so the submit sees the same request and waits for the task it paid for."""
    dag_id = "topview_deploy_pipeline"
    image = tmp_path / "frame.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(256))
    credentials_before = len(simulator.requests_to("credential"))
    files_before = {task.body.get("firstFrameFileId") for task in simulator.tasks.values()}
    run_id = deployment.trigger(dag_id, {"image": str(image)})
    wait_until(
        lambda: (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "deferred",
        timeout=120,
        what="the submit to wait in the triggerer",
    )
    [file_id] = {task.body.get("firstFrameFileId") for task in simulator.tasks.values()} - files_before
    deployment.send("POST", f"/dags/{dag_id}/dagRuns/{run_id}/clear", {"dry_run": False})
    assert deployment.wait_for_run_end(dag_id, run_id, timeout=300) == "success", deployment.logs()
    assert len(submits_for(simulator, file_id)) == 1
    assert len(tasks_for(simulator, file_id)) == 1
    assert len(simulator.requests_to("credential")) - credentials_before == 1  # the bytes went up once
    upload = deployment.task_instance(dag_id, run_id, "upload")
    assert upload is not None
    assert upload["try_number"] == 2  # the clear ran the upload again
    assert "Reusing TopView file" in deployment.task_log(dag_id, run_id, "upload", 2)
    assert "still running, waiting for it" in deployment.task_log(dag_id, run_id, "submit", 2)
