"""A CeleryExecutor deployment on a real Redis loses a triggerer and a worker, and TopView bills once.

Two Celery workers and two triggerers, the api-server, scheduler and dag-processor, a Redis started here
on 127.0.0.1 as broker and result backend, and the sqlite metadata DB (see celery_processes for why
sqlite). It shows:

- a triggerer SIGKILLed while it runs deferred waits: the other one takes its triggers over (the trigger
  table's ``triggerer_id`` and the per-triggerer trigger logs say who ran them) and the runs succeed;
- a Celery worker SIGKILLed (its process group, and the task process, which has a group of its own)
  while its task waits for the submit's answer: Airflow notices the lost heartbeat and retries on the
  other worker, which finds the unanswered submit in the task's journal and fails as uncertain; TopView
  created exactly one task for that image;
- the API key is in no file under the Airflow home (component, task and trigger logs, Redis's log, the
  metadata DB), in no XCom and nowhere in Redis.

Slow (two or three minutes). Needs ``redis-server`` on PATH: ``make celery`` installs it; without it the
tests fail (they never skip) saying so. All tests share one deployment and one simulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.testing import Fault, JournalEntry, TaskRecord, TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import AirflowDeployment, free_port, wait_until
from tests.deployment.celery_processes import (
    RedisServer,
    alive_triggerer_jobs,
    processes_naming,
    redis_server_binary,
    stop_together,
    task_runner,
    trigger_holders,
    trigger_log_files,
    worker_running,
)

pytestmark = pytest.mark.celery

DAGS = Path(__file__).parent / "celery_dags"
UID, API_KEY = "celery-uid", "sk-celery-secret"
DEFERRABLE, POLLING = "topview_celery_deferrable", "topview_celery_polling"
TRIGGERERS = ("triggerer-1", "triggerer-2")
WORKERS = ("worker-1", "worker-2")
# A live triggerer heartbeats every second; one silent for this long has its triggers taken over.
TRIGGERER_HEALTH_CHECK_THRESHOLD = 10
# A task whose supervisor died stops heartbeating; the scheduler fails (and retries) it after this long.
TASK_HEARTBEAT_TIMEOUT = 20


@dataclass
class CeleryDeployment:
    airflow: AirflowDeployment
    redis: RedisServer
    triggerer_jobs: dict[str, int]  # component name -> its TriggererJob id

    def alive(self, names: tuple[str, ...]) -> list[str]:
        return [name for name in names if name in self.airflow.processes]


def submits_since(simulator: TopviewSimulator, start: int) -> list[JournalEntry]:
    return [entry for entry in simulator.journal[start:] if entry.endpoint == "submit"]


def tasks_for(simulator: TopviewSimulator, image: str) -> dict[str, TaskRecord]:
    """TopView tasks the simulator created for one image, whether or not their submit was answered."""
    return {
        task_id: task
        for task_id, task in simulator.tasks.items()
        if task.body.get("firstFrameFileId") == image
    }


def task_instance_in(airflow: AirflowDeployment, dag_id: str, run_id: str, state: str) -> dict[str, Any]:
    return wait_until(
        lambda: (ti := airflow.task_instance(dag_id, run_id, "submit")) and ti["state"] == state and ti,
        timeout=180,
        what=f"the task of {run_id} to be {state}",
    )


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    # Tasks run until the test finishes them (finish_task), so the kills always land mid-wait.
    # stop() cuts off an answer a fault still holds.
    with TopviewSimulator(uid=UID, api_key=API_KEY, polls_to_finish=10**9) as sim:
        yield sim


@pytest.fixture(scope="module")
def celery(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[CeleryDeployment]:
    redis_server_binary()  # fails at once, before Airflow starts, when make celery was not run
    home = tmp_path_factory.mktemp("airflow-celery")
    redis_server = RedisServer(home / "redis")  # under the home: its log is scanned with the others
    redis_server.start()
    airflow = AirflowDeployment(
        home,
        DAGS,
        {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url},
        env={
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CELERY__BROKER_URL": redis_server.url(0),
            "AIRFLOW__CELERY__RESULT_BACKEND": redis_server.url(1),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # Publishing to and reading from the broker within 1 s (the default) is tight on a busy machine.
            "AIRFLOW__CELERY__OPERATION_TIMEOUT": "15",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": str(TRIGGERER_HEALTH_CHECK_THRESHOLD),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(TASK_HEARTBEAT_TIMEOUT),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
        },
    )
    try:
        airflow.migrate()
        for component in ("api-server", "scheduler", "dag-processor"):
            airflow.start(component)
        for name in WORKERS:
            airflow.start(
                f"celery worker --celery-hostname {name}@%h",
                name=name,
                env={"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
            )
        # One triggerer after the other, so each job id in the metadata DB names a known process.
        triggerer_jobs: dict[str, int] = {}
        for number, name in enumerate(TRIGGERERS, start=1):
            airflow.start(
                "triggerer",
                name=name,
                env={"AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port())},
            )
            jobs = wait_until(
                lambda number=number: (jobs := alive_triggerer_jobs(home)) and len(jobs) == number and jobs,
                timeout=120,
                what=f"{name} to register its job",
            )
            [triggerer_jobs[name]] = set(jobs) - set(triggerer_jobs.values())
        for name in WORKERS:
            log = home / f"{name}.log"
            wait_until(
                lambda log=log: log.exists() and " ready." in log.read_text(errors="replace"),
                timeout=120,
                what=f"Celery {name} to be ready",
            )
        for dag_id in (DEFERRABLE, POLLING):
            wait_until(lambda dag_id=dag_id: airflow.dag_ready(dag_id), timeout=240, what=f"{dag_id} parsed")
        yield CeleryDeployment(airflow, redis_server, triggerer_jobs)
    finally:
        stop_together(airflow)
        airflow.stop_all()  # whatever stop_together did not get to
        redis_server.stop()


def test_a_killed_triggerers_deferred_tasks_are_taken_over_by_the_other(
    celery: CeleryDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    airflow, home = celery.airflow, celery.airflow.home
    assert celery.alive(TRIGGERERS) == list(TRIGGERERS), "this test needs both triggerers"
    images = [simulator.add_file("png") for _ in range(2)]
    runs = {image: airflow.trigger(DEFERRABLE, {"first": image}) for image in images}
    tis = {image: task_instance_in(airflow, DEFERRABLE, run_id, "deferred") for image, run_id in runs.items()}
    triggers = {image: int(ti["trigger"]["id"]) for image, ti in tis.items()}
    jobs = set(celery.triggerer_jobs.values())

    # Each wait runs in one of the two triggerers (and has logged there) before one of them dies.
    def holders_running() -> dict[int, int | None] | None:
        holders = trigger_holders(home, list(triggers.values()))
        running = all(
            holders.get(triggers[image]) in jobs
            and trigger_log_files(home, runs[image], holders[triggers[image]] or 0)
            for image in images
        )
        return holders if running else None

    before = wait_until(holders_running, timeout=120, what="both triggers to run in a triggerer")
    victim_job = before[triggers[images[0]]]
    [victim] = [name for name, job in celery.triggerer_jobs.items() if job == victim_job]
    [survivor] = [name for name in TRIGGERERS if name != victim]
    survivor_job = celery.triggerer_jobs[survivor]
    moved = [image for image in images if before[triggers[image]] == victim_job]
    topview_ids = {image: next(iter(tasks_for(simulator, image))) for image in images}
    # The scheduler has seen each deferring worker exit before any trigger may fire (see
    # AirflowDeployment.scheduler_saw_workload_end): a late report could otherwise fail the resumed try.
    for image in images:
        wait_until(
            lambda image=image: airflow.scheduler_saw_workload_end(tis[image]["id"]),
            timeout=60,
            what="the scheduler to process the deferring worker's exit",
        )

    journal_mark = len(simulator.journal)
    airflow.kill(victim)
    # Once the victim's heartbeat is older than the threshold, the survivor claims its triggers.
    after = wait_until(
        lambda: (
            (holders := trigger_holders(home, list(triggers.values())))
            and all(holders.get(triggers[image]) == survivor_job for image in images)
            and holders
        ),
        timeout=TRIGGERER_HEALTH_CHECK_THRESHOLD + 90,
        what=f"{survivor} to take over {victim}'s triggers",
    )
    # ... and runs them: it polls each moved TopView task after the kill.
    for image in moved:
        simulator.wait_for(
            lambda image=image: any(
                entry.endpoint == "query" and entry.query.get("taskId") == topview_ids[image]
                for entry in simulator.journal[journal_mark:]
            ),
            timeout=60,
        )
    for topview_task_id in topview_ids.values():
        simulator.finish_task(topview_task_id)

    for run_id in runs.values():
        assert airflow.wait_for_run_end(DEFERRABLE, run_id) == "success", airflow.logs()
    for image, run_id in runs.items():
        assert list(tasks_for(simulator, image)) == [topview_ids[image]]  # one TopView task per image
        assert airflow.xcoms(DEFERRABLE, run_id, "submit")["result"]["status"] == "success"
        ti = airflow.task_instance(DEFERRABLE, run_id, "submit")
        assert ti is not None
        assert ti["try_number"] == 1  # resumed from the trigger, not retried
    submits = [
        entry
        for entry in simulator.requests_to("submit")
        if isinstance(entry.json, dict) and entry.json.get("firstFrameFileId") in images
    ]
    assert len(submits) == len(images)
    # Each triggerer wrote its own trigger log for the waits it ran: the victim's first, then the survivor's.
    for image in moved:
        assert trigger_log_files(home, runs[image], victim_job or 0), f"no {victim} trigger log for {image}"
        assert trigger_log_files(home, runs[image], survivor_job), f"no {survivor} trigger log for {image}"
    assert set(after.values()) == {survivor_job}
    hardening_report.note(
        "celery triggerer kill",
        f"celery: {victim} SIGKILLed while running {len(moved)} of {len(images)} deferred waits; "
        f"{survivor} took over those (trigger table and trigger logs), {len(images)} runs succeeded "
        f"with {len(submits)} submits",
    )


def test_a_killed_worker_mid_submit_leaves_one_topview_task(
    celery: CeleryDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    airflow = celery.airflow
    assert celery.alive(WORKERS) == list(WORKERS), "this test needs both Celery workers"
    image = simulator.add_file("png")
    journal_start = len(simulator.journal)
    # TopView creates the task at once and holds the answer: the worker dies waiting for it.
    simulator.inject("submit", Fault.slow(600), times=1)
    try:
        run_id = airflow.trigger(POLLING, {"first": image})
        wait_until(lambda: tasks_for(simulator, image), timeout=180, what="TopView to create the task")
        [held] = wait_until(lambda: submits_since(simulator, journal_start), timeout=10, what="the submit")
        assert held.status is None  # its answer is still held
        ti = task_instance_in(airflow, POLLING, run_id, "running")
        task_process = wait_until(lambda: task_runner(ti["id"]), timeout=30, what="the task runner process")
        victim = worker_running(airflow, task_process)
        [survivor] = [name for name in WORKERS if name != victim]
        # The machine dies: the worker with its pool and the task supervisor, and the task runner,
        # which sits in a process group of its own.
        airflow.kill(victim)
        task_process.kill()
        task_process.wait(timeout=30)
        # Neither its supervisor (a pool process of the worker) nor its runner lives on.
        wait_until(lambda: not processes_naming(ti["id"]), timeout=30, what="the task's processes to end")

        state = airflow.wait_for_run_end(POLLING, run_id, timeout=TASK_HEARTBEAT_TIMEOUT + 200)
    finally:
        simulator.clear_faults()  # the held answer stays held until the simulator stops
    assert state == "failed", airflow.logs()
    final = airflow.task_instance(POLLING, run_id, "submit")
    assert final is not None
    assert (final["state"], final["try_number"]) == ("failed", 2)  # retried once, then failed as uncertain
    # TopView got exactly one submit for this image: the held one. The retry sent nothing.
    assert len(submits_since(simulator, journal_start)) == 1
    assert len(tasks_for(simulator, image)) == 1
    [record] = airflow.task_state_store(POLLING, run_id, "submit")["topview_submit"]["submits"]
    assert record["topview_task_id"] is None
    retry_log = airflow.task_log(POLLING, run_id, "submit", 2)
    assert "never recorded TopView's answer" in retry_log
    assert "topview_task_id unknown" in retry_log
    assert "Submitting TopView Image-to-Video task" not in retry_log
    # The first try ran on the killed worker, the retry on the other one (each try has its own log path).
    for name, attempt in ((victim, 1), (survivor, 2)):
        log_path = f"run_id={run_id}/task_id=submit/attempt={attempt}.log"
        worker_log = (airflow.home / f"{name}.log").read_text(errors="replace").splitlines()
        assert any("Executing workload in Celery" in line and log_path in line for line in worker_log), (
            f"{name} never ran try {attempt}"
        )
    hardening_report.note(
        "celery worker kill",
        f"celery: {victim} and its task SIGKILLed while the submit's answer was held; Airflow retried "
        f"on {survivor}, which failed as uncertain; 1 TopView task for the image",
    )


def test_the_api_key_is_in_no_file_xcom_or_redis_value(
    celery: CeleryDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    airflow, home = celery.airflow, celery.airflow.home
    # At least one run that used the key end to end in this deployment (the others add theirs).
    image = simulator.add_file("png")
    run_id = airflow.trigger(DEFERRABLE, {"first": image})
    ti = task_instance_in(airflow, DEFERRABLE, run_id, "deferred")
    wait_until(
        lambda: airflow.scheduler_saw_workload_end(ti["id"]),
        timeout=60,
        what="the scheduler to process the deferring worker's exit",
    )
    [topview_task_id] = tasks_for(simulator, image)
    simulator.finish_task(topview_task_id)
    assert airflow.wait_for_run_end(DEFERRABLE, run_id) == "success", airflow.logs()
    # The simulator accepted every call, so each component really sent the key.
    assert not [entry for entry in simulator.journal if entry.status == 401]
    # A refusal that quotes the request's Authorization header reaches a Celery worker's task: the key is
    # offered to the logs (masked there) and to anything else that keeps the error.
    echo_image = simulator.add_file("png")
    echo_start = len(simulator.journal)
    simulator.inject("submit", Fault.echo_auth(code="4000"), times=1)
    try:
        echo_run = airflow.trigger(POLLING, {"first": echo_image})
        assert airflow.wait_for_run_end(POLLING, echo_run) == "failed", airflow.logs()
    finally:
        simulator.clear_faults()
    assert [entry.fault for entry in submits_since(simulator, echo_start)] == ["echo_auth"]  # no retry
    echo_log = airflow.task_log(POLLING, echo_run, "submit", 1)
    assert "TopView error 4000" in echo_log
    assert "Bearer ***" in echo_log
    assert API_KEY not in echo_log

    files = sorted(path for path in home.rglob("*") if path.is_file())
    names = {path.name for path in files}
    components = {"api-server", "scheduler", "dag-processor", *TRIGGERERS, *WORKERS}
    assert {f"{name}.log" for name in components} <= names
    assert {"airflow.db", "redis-server.log"} <= names
    assert any(".trigger." in name for name in names)  # trigger logs are among them
    assert any(f"run_id={run_id}" in str(path) for path in files)  # task logs too
    leaks = [str(path) for path in files if API_KEY.encode() in path.read_bytes()]
    assert leaks == []

    xcoms = {
        (dag_id, run["dag_run_id"]): airflow.xcoms(dag_id, run["dag_run_id"], "submit")
        for dag_id in (DEFERRABLE, POLLING)
        for run in airflow.get(f"/dags/{dag_id}/dagRuns")["dag_runs"]
    }
    assert xcoms[(DEFERRABLE, run_id)]["task_id"] == topview_task_id
    assert API_KEY not in json.dumps(list(xcoms.values()))

    values = list(celery.redis.stored_values())
    assert values  # broker queues and Celery results are there
    assert not [value for value in values if API_KEY.encode() in value]
    hardening_report.note(
        "celery key",
        f"celery: API key in none of {len(files)} files under the Airflow home (logs of 7 components, "
        f"task and trigger logs, Redis, metadata DB), {len(xcoms)} runs' XComs, {len(values)} Redis values",
    )
