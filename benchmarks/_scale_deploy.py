"""Plumbing of the deployment benchmarks (``scale``, ``triggerer``): the simulator process, a real Airflow
deployment on loopback (``tests/deployment/airflow_processes.py``, used as it is), and the records read
back from them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from benchmarks._common import (
    API_KEY,
    ROOT,
    UID,
    BenchError,
    ServerProcess,
    pycache_dir,
    say,
    work_dir,
)
from tests.deployment.airflow_processes import COMPONENTS, AirflowDeployment, wait_until

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


class SimProcess(ServerProcess):
    """``python -m benchmarks._scale_sim`` in its own process: base URL, commands, journal dumps, stop."""

    module = "benchmarks._scale_sim"

    def dump(self) -> dict[str, Any]:
        """Journal (endpoint, monotonic time, code, taskId, prompt), created tasks, wall clock offset."""
        path = work_dir() / f"journal-{time.monotonic_ns()}.json"
        stats = self.command(f"dump {path}", timeout=120.0)
        data: dict[str, Any] = json.loads(path.read_text())
        path.unlink()
        return {**data, "stats": stats}


def sim_connection(base_url: str) -> dict[str, Any]:
    return {"conn_type": "topview", "login": UID, "password": API_KEY, "host": base_url}


@contextlib.contextmanager
def deployment(
    name: str,
    dags: str,
    settings: Mapping[str, str],
    dag_ids: list[str],
    simulator_url: str = "http://127.0.0.1:9",
) -> Iterator[AirflowDeployment]:
    """A migrated sqlite deployment with all four components, its DAG file parsed; stopped at exit.

    ``dags``: the DAG file's text; ``topview_default`` points at ``simulator_url`` (by default nowhere).
    Set ``BENCH_KEEP_LOGS=<folder>`` to keep the deployment's logs there.
    """
    root = work_dir() / name
    (root / "dags").mkdir(parents=True)
    (root / "home").mkdir()
    (root / "dags" / f"{name}_dags.py").write_text(dags)
    env = {
        # Bytecode as on a deployed machine (see README, "Bytecode"); this checkout importable.
        "PYTHONDONTWRITEBYTECODE": "",
        "PYTHONPYCACHEPREFIX": str(pycache_dir()),
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    airflow = AirflowDeployment(root / "home", root / "dags", sim_connection(simulator_url), env=env)
    began = time.monotonic()
    airflow.migrate()
    say(f"  airflow db migrate: {time.monotonic() - began:.0f} s")
    try:
        for component in COMPONENTS:
            airflow.start(component)
        for dag_id in dag_ids:
            try:
                wait_until(functools.partial(airflow.dag_ready, dag_id), timeout=300, what=f"{dag_id} parsed")
            except TimeoutError as exc:
                raise BenchError(f"{exc}; logs in {root / 'home'}:\n{airflow.logs()[-3000:]}") from None
        say(f"  deployment up, DAGs parsed: {time.monotonic() - began:.0f} s")
        yield airflow
    finally:
        airflow.stop_all()
        if keep := os.environ.get("BENCH_KEEP_LOGS"):  # diagnostics: keep the logs (not the DB)
            shutil.copytree(root / "home", Path(keep) / name, ignore=shutil.ignore_patterns("*.db*"))


def add_connection(airflow: AirflowDeployment, conn_id: str, base_url: str) -> None:
    """Create (or replace) a ``topview`` connection to the simulator at ``base_url`` through the REST API."""
    with contextlib.suppress(AssertionError):
        airflow.send("DELETE", f"/connections/{conn_id}", {})
    airflow.send("POST", "/connections", {"connection_id": conn_id, **sim_connection(base_url)})


def task_instances(airflow: AirflowDeployment, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of a run (all map indexes), through the REST API."""
    found: list[dict[str, Any]] = []
    while True:
        page = airflow.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100, offset=len(found))[
            "task_instances"
        ]
        found += page
        if len(page) < 100:
            return found


def utc_seconds(text: str | None) -> float | None:
    """A REST date (``2026-11-25T10:00:00.123456Z``) as a UNIX timestamp."""
    return None if not text else datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)(?:Z|\+00:00)")
_FIELD = re.compile(r"\b(workload_id|ti_id|duration|final_state)=(\S+)")


def finished_workloads(scheduler_log: Path) -> list[dict[str, Any]]:
    """One record per workload a LocalExecutor worker ran, from the scheduler's output.

    The supervisor (in the worker process) logs ``Workload finished ... duration=<s> final_state=<state>
    workload_id=<ti id>``, the seconds from its start (before it forks the task process) to the task
    process's exit having been noticed. The task's own lines (``[task] ... ti_id=<ti id>``, copied to the
    scheduler's output) give when that task process last wrote: ``tail`` = finish - last task line, the
    time the supervisor needed to notice the exit (see README, "Exit-detection stall").
    """
    found: list[dict[str, Any]] = []
    last_task_line: dict[str, float] = {}
    for line in scheduler_log.read_text(errors="replace").splitlines():
        stamp = _STAMP.match(line)
        if not stamp:
            continue
        fields = dict(_FIELD.findall(line))
        when = datetime.fromisoformat(f"{stamp.group(1)}T{stamp.group(2)}+00:00").timestamp()
        if "Workload finished" in line and "workload_id" in fields:
            ti_id = fields["workload_id"]
            previous = last_task_line.pop(ti_id, None)
            found.append(
                {
                    "ti_id": ti_id,
                    "duration": float(fields["duration"]),
                    "final_state": fields.get("final_state", "?"),
                    "finished": when,
                    "tail": when - previous if previous is not None else None,
                }
            )
        elif "[task]" in line and "ti_id" in fields:
            last_task_line[fields["ti_id"]] = when
    return found


def process_tree(root_pid: int) -> list[psutil.Process]:
    """A process and all its descendants (gone ones left out)."""
    try:
        root = psutil.Process(root_pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu(process: psutil.Process) -> float:
    """CPU seconds of a process and of the children it has reaped (``cutime``/``cstime``)."""
    times = process.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


def machine_busy_seconds() -> float:
    """CPU seconds the machine's CPUs spent busy since boot (``/proc/stat``; idle and iowait left out)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(airflow: AirflowDeployment, **others: int) -> dict[str, float]:
    """CPU seconds so far of each component's process tree (a tree's reaped children included), the
    scheduler's LocalExecutor workers and the task processes they ran (``executor``, also part of
    ``scheduler``), ``others`` (name -> pid), and the whole machine (``machine``)."""
    found: dict[str, float] = {"executor": 0.0}
    roots = {name: process.pid for name, process in airflow.processes.items()} | others
    for name, pid in roots.items():
        found[name] = 0.0
        for process in process_tree(pid):
            with contextlib.suppress(psutil.Error):
                cpu = _cpu(process)
                found[name] += cpu
                if name == "scheduler" and "LocalExecutor" in " ".join(process.cmdline()):
                    found["executor"] += cpu
    found["machine"] = machine_busy_seconds()
    return found
