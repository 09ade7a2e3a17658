"""Benchmark 3: how long one video holds a worker slot, deferrable vs polling, with real Airflow.

A simulator (its own process) finishes every task 60 s after its submit. ``airflow db migrate`` builds a
sqlite metadata DB once; each run gets its own AIRFLOW_HOME with a copy of it (no sqlite lock contention)
and runs ``airflow dags test <dag_id> -c '{"file_id": ...}'`` on a DAG written to a temp dags folder:
``warm_up`` (a no-op ``@task``) >> ``submit_and_wait`` =
``SubmitImageToVideoOperator(wait_for_completion=True, deferrable=True|False, poll_interval=5)``.

Worker-held time comes from the run's own log timestamps (see README for why not from the task instance
row): each stretch from ``[DAG TEST] running task <...submit_and_wait...>`` to the next
``[DAG TEST] running trigger in line`` (the task deferred; the trigger then runs where a triggerer would
run it) or ``[DAG TEST] end task task_id=submit_and_wait``. Deferrable = first try up to the deferral +
the resumed run; polling = the one run. ``warm_up`` runs first so the one-off start of ``dags test``'s
in-process execution API is not charged to the measured task.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks._common import (
    PYTHON,
    BenchError,
    ServerProcess,
    child_env,
    median,
    say,
    topview_conn,
    upload_tiny_png,
    work_dir,
)

SECONDS_TO_FINISH = 60.0
POLL_INTERVAL = 5.0
TARGET_SECONDS = 2.0
TASK_ID = "submit_and_wait"

DAG_FILE = f'''"""DAGs of the worker-slot benchmark (written by benchmarks/slots.py)."""

from airflow.sdk import DAG, task

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

for _mode, _deferrable in (("deferrable", True), ("polling", False)):
    with DAG(f"bench_topview_slot_{{_mode}}", schedule=None, catchup=False):

        @task
        def warm_up() -> None:
            """Starts dags test's in-process execution API before the measured task runs."""

        warm_up() >> SubmitImageToVideoOperator(
            task_id="{TASK_ID}",
            first_frame_file_id="{{{{ dag_run.conf['file_id'] }}}}",
            prompt="worker slot benchmark",
            wait_for_completion=True,
            deferrable=_deferrable,
            poll_interval={POLL_INTERVAL},
            timeout=600,
        )
'''

_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z? .*?(\[DAG TEST\] [^\[]*)")


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text + "+00:00").timestamp()


def worker_seconds(log: str) -> tuple[float, list[tuple[str, float]]]:
    """Sum of the stretches the measured task ran on the worker, from the ``[DAG TEST]`` log lines."""
    stretches: list[tuple[str, float]] = []
    started: float | None = None
    for line in log.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        when, what = _timestamp(match.group(1)), match.group(2)
        if what.startswith("[DAG TEST] running task") and f".{TASK_ID} " in what:
            started = when
        elif started is not None and what.startswith("[DAG TEST] running trigger in line"):
            stretches.append(("until deferral", when - started))
            started = None
        elif started is not None and what.startswith(f"[DAG TEST] end task task_id={TASK_ID}"):
            stretches.append(("run" if not stretches else "resumed", when - started))
            started = None
    if not stretches or stretches[-1][0] == "until deferral":
        raise BenchError("the dags test log has no complete run of the measured task")
    return sum(seconds for _, seconds in stretches), stretches


def _task_instance_row(home: Path, dag_id: str) -> dict[str, Any]:
    """The task instance's own start/end/duration (shown beside the log-based figure)."""
    with sqlite3.connect(home / "airflow.db") as db:
        row = db.execute(
            "SELECT start_date, end_date, duration, state FROM task_instance "
            "WHERE dag_id = ? AND task_id = ?",
            (dag_id, TASK_ID),
        ).fetchone()
    if row is None:
        return {}
    return {"start_date": row[0], "end_date": row[1], "duration": row[2], "state": row[3]}


def _airflow() -> str:
    return str(Path(PYTHON).with_name("airflow"))


def prepare(root: Path) -> Path:
    """Dags folder + a migrated sqlite DB to copy for each run."""
    dags = root / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    (dags / "bench_topview_slot.py").write_text(DAG_FILE)
    template = root / "template-home"
    template.mkdir(exist_ok=True)
    env = child_env({"AIRFLOW_HOME": str(template), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)})
    with (root / "db-migrate.log").open("w") as log:
        code = subprocess.run(
            [_airflow(), "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600
        ).returncode
    if code != 0:
        raise BenchError(f"airflow db migrate failed: see {root / 'db-migrate.log'}")
    return dags


def run(quick: bool = False) -> tuple[list[str], dict[str, Any]]:
    root = work_dir() / "slots"
    began = time.monotonic()
    dags = prepare(root)
    say(f"  airflow db migrate: {time.monotonic() - began:.0f} s")
    # (mode, start delay s): polling and the first deferrable run start together; further deferrable runs
    # are staggered so that their CPU-heavy start-up does not overlap another run's measured stretches.
    schedule = [("polling", 0.0), ("deferrable", 0.0)]
    if not quick:
        schedule += [("deferrable", 15.0), ("deferrable", 30.0)]
    with ServerProcess("topview", "--seconds-to-finish", str(SECONDS_TO_FINISH), max_seconds=900) as server:
        file_id = upload_tiny_png(server.base_url)
        runs: list[dict[str, Any]] = []
        started = time.monotonic()
        pending = list(enumerate(schedule))
        active: list[tuple[int, str, Path, subprocess.Popen[str], Any]] = []
        while pending or active:
            now = time.monotonic() - started
            while pending and pending[0][1][1] <= now:
                index, (mode, _) = pending.pop(0)
                home = root / f"home-{index}-{mode}"
                home.mkdir()
                shutil.copy(root / "template-home" / "airflow.db", home / "airflow.db")
                env = child_env(
                    {
                        "AIRFLOW_HOME": str(home),
                        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                        "AIRFLOW_CONN_TOPVIEW_DEFAULT": topview_conn(server.base_url),
                    }
                )
                log_file = (root / f"dags-test-{index}-{mode}.log").open("w")
                process = subprocess.Popen(
                    [
                        _airflow(),
                        "dags",
                        "test",
                        f"bench_topview_slot_{mode}",
                        "-c",
                        json.dumps({"file_id": file_id}),
                    ],
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                active.append((index, mode, home, process, log_file))
            for item in list(active):
                index, mode, home, process, log_file = item
                if process.poll() is None and time.monotonic() - started < 600:
                    continue
                if process.poll() is None:
                    process.kill()  # our own child, by its handle: bounded in time
                    process.wait()
                log_file.close()
                active.remove(item)
                log = Path(log_file.name).read_text()
                if process.returncode != 0:
                    raise BenchError(f"dags test ({mode}) failed: see {log_file.name}")
                total, stretches = worker_seconds(log)
                row = _task_instance_row(home, f"bench_topview_slot_{mode}")
                if row.get("state") != "success":
                    raise BenchError(f"the {mode} task did not succeed ({row}); log: {log_file.name}")
                runs.append({"mode": mode, "worker_s": total, "stretches": stretches, "task_instance": row})
                say(
                    f"  [t+{time.monotonic() - started:.0f} s] {mode}: worker-held {total:.2f} s ("
                    + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stretches)
                    + f"); task instance duration {row.get('duration')} s"
                )
            time.sleep(0.2)
    deferrable = median([r["worker_s"] for r in runs if r["mode"] == "deferrable"])
    polling = median([r["worker_s"] for r in runs if r["mode"] == "polling"])
    ratio = deferrable / polling
    verdict = "met" if deferrable < TARGET_SECONDS else "MISSED"
    line = (
        f"worker slot per video ({SECONDS_TO_FINISH:.0f} s generation): deferrable {deferrable:.2f} s, "
        f"polling {polling:.1f} s; ratio = {ratio:.3f} "
        f"(target: deferrable < {TARGET_SECONDS:.0f} s: {verdict})"
    )
    figures = {"deferrable_s": deferrable, "polling_s": polling, "ratio": ratio, "runs": runs}
    return [line], figures
