"""A real Airflow deployment on loopback: api-server, scheduler (LocalExecutor), dag-processor, triggerer.

Each component runs in its own process group so a test can kill one (as a crash would) and start it again.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psutil
import requests

from airflow_topview.deferral import MIN_DEFERRAL
from tests.airflow_db import migrated_home

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.5) -> T:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def find_task_process(ti_id: str) -> psutil.Process | None:
    """The process running a task instance (titled ``airflow worker -- <ti id>``), not its executor worker."""
    for process in psutil.process_iter(["cmdline"]):
        title = " ".join(process.info["cmdline"] or ())
        if ti_id in title and "LocalExecutor" not in title:
            return process
    return None


class AirflowDeployment:
    def __init__(
        self,
        home: Path,
        dags_folder: Path,
        connection: dict[str, Any],
        *,
        env: dict[str, str] | None = None,
    ) -> None:
        """``env`` adds or overrides settings (e.g. the executor, parallelism, pools) for every component."""
        self.home = home
        self.api_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}/api/v2"
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW_CONN_TOPVIEW_DEFAULT": json.dumps(connection),
            # A real scheduler has the defer race: the deferral floor stays at its default here.
            "AIRFLOW__TOPVIEW__MIN_DEFERRAL": str(MIN_DEFERRAL),
            **(env or {}),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def migrate(self) -> None:
        """A migrated metadata DB: a copy of the one this test run migrated once (tests/airflow_db.py)."""
        migrated_home(self.home)

    def start(self, component: str, *, name: str | None = None, env: dict[str, str] | None = None) -> None:
        """Start ``airflow <component>`` (e.g. ``"triggerer"``, ``"celery worker"``) in its own process group.

        ``name`` tells several instances of one component apart (``"triggerer-2"``); it names the log file
        ``<name>.log`` and is what :meth:`kill` takes. ``env`` adds settings for this instance only.
        """
        name = name or component.replace(" ", "-")
        out = (self.home / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [AIRFLOW, *component.split()],
            env={**self.env, **(env or {})},
            stdout=out,
            stderr=out,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """SIGKILL the component's whole process group, as a crashed machine would leave it."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self, *, timeout: float = 15) -> None:
        """SIGTERM every component at once and wait for all of them (one after the other cost each one's
        shutdown in turn); SIGKILL what is left after ``timeout`` s, and what a component left in its group.
        """
        processes = list(self.processes.items())
        for _, process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):  # log servers, pools the component left behind
                os.killpg(process.pid, signal.SIGKILL)
            self.processes.pop(name, None)

    def get(self, path: str, **params: Any) -> Any:
        response = requests.get(self.api + path, params=params or None, timeout=10)
        response.raise_for_status()
        return response.json()

    def send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        response = requests.request(method, self.api + path, json=body, timeout=10)
        if not response.ok:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text[:2000]}")
        return response.json() if response.content else None

    def dag_ready(self, dag_id: str) -> bool:
        try:
            return not self.get(f"/dags/{dag_id}")["is_paused"]
        except requests.RequestException:
            return False

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        response = requests.post(
            f"{self.api}/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf}, timeout=10
        )
        response.raise_for_status()
        return str(response.json()["dag_run_id"])

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any] | None:
        try:
            instances = self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
        except requests.RequestException:
            return None
        return next((ti for ti in instances if ti["task_id"] == task_id), None)

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        try:
            return str(self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"])
        except requests.RequestException:
            return None

    def wait_for_run_end(self, dag_id: str, run_id: str, *, timeout: float = 240) -> str:
        def finished() -> str | None:
            state = self.run_state(dag_id, run_id)
            return state if state in ("success", "failed") else None

        return wait_until(
            finished,
            timeout=timeout,
            what=f"the DAG run {run_id} to finish",
        )

    def set_variable(self, key: str, value: str) -> None:
        """Create or change an Airflow Variable through the REST API."""
        try:
            self.get(f"/variables/{key}")
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 404:
                raise
            self.send("POST", "/variables", {"key": key, "value": value})
        else:
            self.send("PATCH", f"/variables/{key}", {"key": key, "value": value})

    def clear_task(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        """Clear one task of a finished run (and set the run going again), as the UI's "Clear" does."""
        body = {
            "dag_run_id": run_id,
            "task_ids": [task_id],
            "only_failed": False,
            "dry_run": False,
            "reset_dag_runs": True,
        }
        cleared = self.send("POST", f"/dags/{dag_id}/clearTaskInstances", body)["task_instances"]
        return list(cleared)

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        """The whole log of one try, read through the REST API (structured entries as JSON text)."""
        response = requests.get(
            f"{self.api}/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"full_content": "true"},
            headers={"Accept": "application/json"},
            timeout=30,
        )
        response.raise_for_status()
        content = response.json()["content"]
        return "\n".join(json.dumps(entry, ensure_ascii=False) for entry in content)

    def task_state_store(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        """The task's ``task_state_store`` (key -> value), read through the REST API."""
        entries = self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/state-store")
        return {entry["key"]: entry["value"] for entry in entries["task_state_store"]}

    def xcoms(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        """Every XCom of the task (key -> stored value), read through the REST API."""
        base = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries"
        return {
            entry["key"]: self.get(f"{base}/{entry['key']}")["value"]
            for entry in self.get(base)["xcom_entries"]
        }

    def scheduler_saw_workload_end(self, ti_id: str) -> bool:
        """Whether the scheduler has processed the executor's report that a workload of this TI ended.

        After ``defer()`` the worker's supervisor may report the exit seconds later. If the trigger fires
        first, Airflow 3.3 can resume the task and then take that late report for a task killed
        externally: it marks the running try for retry and drops its real outcome. Waiting for this line
        before letting a trigger fire keeps a test clear of that race.
        """
        log = self.home / "scheduler.log"
        return log.exists() and any(
            "TaskInstance Finished:" in line and f"ti_id={ti_id}" in line
            for line in log.read_text(errors="replace").splitlines()
        )

    def log_files(self) -> list[Path]:
        """Every log file the deployment wrote: each component's output and all task and trigger logs."""
        return sorted(path for path in self.home.rglob("*") if path.is_file() and ".log" in path.name)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.home.glob("*.log"))
        )


EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "dags"


@contextlib.contextmanager
def example_deployment(
    tmp_path_factory: Any,
    example: str,
    connection: dict[str, Any],
    dag_ids: tuple[str, ...],
    *,
    env: dict[str, str] | None = None,
    before_start: Callable[[AirflowDeployment], None] | None = None,
    also: tuple[str, ...] = (),
) -> Iterator[AirflowDeployment]:
    """One example DAG file (unchanged, with the sample images beside it) in a fresh deployment.

    ``also``: more example files in the same deployment (one start-up for several examples).
    ``before_start`` runs after the DB migration, before any component starts (e.g. to create a pool).
    Yields once every DAG of ``dag_ids`` is parsed; stops every component afterwards.
    """
    name = example.removeprefix("example_topview_").removesuffix(".py")
    dags = tmp_path_factory.mktemp(f"{name}-dags")
    for file in (example, *also):
        shutil.copy(EXAMPLE_DAGS / file, dags / file)
    shutil.copytree(EXAMPLE_DAGS / "assets", dags / "assets")
    airflow = AirflowDeployment(tmp_path_factory.mktemp(f"airflow-{name}"), dags, connection, env=env)
    airflow.migrate()
    if before_start is not None:
        before_start(airflow)
    for component in COMPONENTS:
        airflow.start(component)
    try:
        for dag_id in dag_ids:
            wait_until(functools.partial(airflow.dag_ready, dag_id), timeout=240, what=f"{dag_id} parsed")
        yield airflow
    finally:
        airflow.stop_all()
