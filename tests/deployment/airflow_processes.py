"""A real Airflow deployment on loopback: api-server, scheduler (LocalExecutor), dag-processor, triggerer.

Each component runs in its own process group so a test can kill one (as a crash would) and start it again.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psutil
import requests

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
    def __init__(self, home: Path, dags_folder: Path, connection: dict[str, Any]) -> None:
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
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def migrate(self) -> None:
        log = self.home / "db-migrate.log"
        with log.open("wb") as out:
            subprocess.run([AIRFLOW, "db", "migrate"], env=self.env, stdout=out, stderr=out, check=True)

    def start(self, component: str) -> None:
        out = (self.home / f"{component}.log").open("ab")
        self.processes[component] = subprocess.Popen(
            [AIRFLOW, component], env=self.env, stdout=out, stderr=out, start_new_session=True
        )

    def kill(self, component: str) -> None:
        """SIGKILL the component's whole process group, as a crashed machine would leave it."""
        process = self.processes.pop(component)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for component in list(self.processes):
            process = self.processes[component]
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
            self.processes.pop(component)

    def get(self, path: str) -> Any:
        response = requests.get(self.api + path, timeout=10)
        response.raise_for_status()
        return response.json()

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

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.home.glob("*.log"))
        )
