"""What the CeleryExecutor deployment needs besides Airflow's own processes: a Redis on loopback, read-only
looks into the sqlite metadata DB (which triggerer holds which trigger) and the Celery worker behind a task.

Airflow 3.3 accepts sqlite with CeleryExecutor (no executor/database check is left in ``configuration.py``
or ``settings.py``; workers reach the metadata only through the api-server's Execution API), and the venv
has no PostgreSQL driver, so the deployment keeps sqlite. Celery's results go to Redis too (db 1), so the
workers never write to the sqlite file.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import psutil
import pytest
import redis

from tests.deployment.airflow_processes import AirflowDeployment, free_port, wait_until

INSTALL_HINT = "run `make celery`, which installs Debian's redis-server (apt-get install redis-server)"


def redis_server_binary() -> str:
    """Path of ``redis-server``; fails the test (never skips it) when it is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(f"redis-server is not on PATH: {INSTALL_HINT}", pytrace=False)
    return binary


class RedisServer:
    """A throwaway Redis on 127.0.0.1 (no persistence) whose log and working dir live under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.log = directory / "redis-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Redis writes its own log (--logfile); what goes to stdout is only what it prints before.
        out = (self.directory / "redis-server.stdout").open("ab")
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.log),
            ],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=30, what="redis-server to answer PING")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {self.process.returncode}; see {self.log}")
        try:
            with closing(redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def stored_values(self) -> Iterator[bytes]:
        """Every key and value in every database (broker queues, unacked messages, Celery results)."""
        with closing(redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)) as client:
            databases = client.info("keyspace")
        for name in databases:
            db = int(str(name).removeprefix("db"))
            with closing(redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=10)) as client:
                for key in client.scan_iter(count=500):
                    yield key
                    kind = client.type(key)
                    if kind == b"string":
                        yield client.get(key) or b""
                    elif kind == b"list":
                        yield from client.lrange(key, 0, -1)
                    elif kind == b"hash":
                        for field, value in client.hgetall(key).items():
                            yield field
                            yield value
                    elif kind == b"set":
                        yield from client.smembers(key)
                    elif kind == b"zset":
                        yield from (member for member, _ in client.zrange(key, 0, -1, withscores=True))


def stop_together(deployment: AirflowDeployment, *, timeout: float = 20) -> None:
    """SIGTERM every component at once and wait for all (``stop_all`` stops them one after the other,
    which costs a scheduler's, a triggerer's and two workers' shutdowns in a row); SIGKILL the rest."""
    processes = list(deployment.processes.items())
    for _, process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        with suppress(ProcessLookupError):  # what the component left in its group (log servers, pools)
            os.killpg(process.pid, signal.SIGKILL)
        deployment.processes.pop(name, None)


def metadata_rows(home: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    """Rows from the deployment's sqlite metadata DB, read-only (WAL mode lets it read beside Airflow)."""
    uri = f"file:{home / 'airflow.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
        return db.execute(query, params).fetchall()


def alive_triggerer_jobs(home: Path) -> list[int]:
    """Ids of the TriggererJob rows that have not ended, oldest first."""
    rows = metadata_rows(
        home, "SELECT id FROM job WHERE job_type = 'TriggererJob' AND end_date IS NULL ORDER BY id"
    )
    return [int(str(row[0])) for row in rows]


def trigger_holders(home: Path, trigger_ids: list[int]) -> dict[int, int | None]:
    """trigger id -> the triggerer job id it is assigned to (None: unassigned); missing: trigger gone."""
    marks = ",".join("?" * len(trigger_ids))
    rows = metadata_rows(home, f"SELECT id, triggerer_id FROM trigger WHERE id IN ({marks})", *trigger_ids)
    return {int(str(trigger)): None if job is None else int(str(job)) for trigger, job in rows}


def trigger_log_files(home: Path, run_id: str, job_id: int) -> list[Path]:
    """A run's trigger logs written by one triggerer (``<task log>.trigger.<job id>.log``)."""
    return [
        path for path in (home / "logs").rglob(f"*.trigger.{job_id}.log") if f"run_id={run_id}" in str(path)
    ]


def task_runner(ti_id: str) -> psutil.Process | None:
    """The task runner process of one try, titled ``airflow worker -- <ti id>``.

    Under Celery the pool process that supervises it is titled ``airflow supervisor: <ti id>``, so
    matching the id alone (as ``airflow_processes.find_task_process`` does) finds the supervisor first.
    """
    for process in psutil.process_iter(["cmdline"]):
        if " ".join(process.info["cmdline"] or ()).strip() == f"airflow worker -- {ti_id}":
            return process
    return None


def processes_naming(ti_id: str) -> list[str]:
    """Titles of every process whose command line names the task instance (diagnostics)."""
    return [
        f"{process.pid}: {title}"
        for process in psutil.process_iter(["cmdline"])
        if ti_id in (title := " ".join(process.info["cmdline"] or ()))
    ]


def worker_running(deployment: AirflowDeployment, task_process: psutil.Process) -> str:
    """Name of the Celery worker (as given to ``deployment.start``) whose pool runs ``task_process``.

    The task runner is a child of the task supervisor, which runs in a prefork child of the worker.
    """
    ancestors = {parent.pid for parent in task_process.parents()}
    names = [name for name, process in deployment.processes.items() if process.pid in ancestors]
    if len(names) != 1:
        raise AssertionError(f"task process {task_process.pid} runs under {names or 'no component'}")
    return names[0]
