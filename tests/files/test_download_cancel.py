"""Task termination: the operators' ``on_kill`` cancels the transfer in progress, promptly and cleanly.

Airflow's task runner calls ``on_kill()`` from its SIGTERM handler. Here it is called from another
thread during a dripping download (``Fault.drip``), an upload source fetch and a PUT nobody reads; and
a real SIGTERM is sent to a child process running a DAG with ``dag.test()``, the task runner's own path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_topview.exceptions import TransferCancelledError
from airflow_topview.hooks.storage import fsspec_view
from airflow_topview.hooks.transfer_control import TransferCancel
from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import read_without_opening
from tests.files.test_download_stalls import _DeafServer, deaf_server, sparse_file  # noqa: F401
from tests.files.test_files import fast_hook, finished_task

BIG = bytes(range(256)) * 8192  # 2 MiB: about 100 s at the drip rate below
DRIP = 20_000
STALL = 60.0  # the stall rule must not be what ends these transfers
HOOK = {"retry_limit": 3, "retry_delay": 0.01, "retry_max_delay": 0.05, "timeout": 5, "stall_timeout": STALL}
# A cancel shuts the socket down, so the blocked read returns at once; this leaves room for a loaded
# machine and is still far below both the stall window and the time the drip needs.
CANCEL_BOUND = 2.0
START_DEADLINE = 30.0


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not seen within {timeout:g} s"
        time.sleep(0.01)


def partial_bytes(folder: Any) -> int:
    """Bytes in temporary ``.part`` files under ``folder`` (a local Path or an fsspec path)."""
    if not folder.exists():
        return 0
    return sum(path.stat().st_size for path in folder.rglob("*.part"))


class Running:
    """An operator's ``execute`` in a thread, as the task runner's main thread runs it."""

    def __init__(self, operator: Any) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(operator,), daemon=True)
        self.thread.start()

    def _run(self, operator: Any) -> None:
        try:
            operator.execute({})
        except BaseException as exc:  # handed to the test
            self.error = exc

    def kill(self, operator: Any) -> float:
        """Call ``on_kill`` from this thread; the seconds until ``execute`` ended (fails past the bound)."""
        started = time.monotonic()
        operator.on_kill()
        self.thread.join(CANCEL_BOUND)
        assert not self.thread.is_alive(), f"still running {CANCEL_BOUND:g} s after on_kill"
        return time.monotonic() - started


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_on_kill_cancels_a_download(topview_connection: TopviewSimulator, tmp_path: Path, kind: str) -> None:
    sim = topview_connection
    sim.video_bytes = BIG
    task = finished_task(sim, fast_hook(), count=1)
    dest = str(tmp_path) if kind == "local" else f"memory://topview-tests/{uuid.uuid4().hex}"
    folder = fsspec_view(ObjectStoragePath(dest))
    sim.inject("download", Fault.drip(DRIP), times=None)
    operator = DownloadVideosOperator(
        task_id="download", task_result=task.to_xcom(), destination=dest, hook_params=HOOK
    )
    running = Running(operator)
    wait_until(lambda: partial_bytes(folder) > 0, START_DEADLINE, "a partial download")
    running.kill(operator)
    assert isinstance(running.error, TransferCancelledError)
    assert "cancelled: the task is being stopped" in str(running.error)
    assert list(folder.iterdir()) == []  # no partial under the final name, and the temporary one is gone
    [entry] = sim.wait_for(lambda: [e for e in sim.requests_to("download") if e.sent_bytes is not None])
    assert entry.sent_bytes < len(BIG)  # cut off mid-body, and not retried


def test_on_kill_cancels_an_upload_source_fetch(
    topview_connection: TopviewSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_connection
    sim.video_bytes = BIG
    url = str(finished_task(sim, fast_hook(), count=1).videos[0].file_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the hook stages a URL source
    sim.inject("download", Fault.drip(DRIP), times=None)
    operator = UploadFileOperator(task_id="upload", source=url, hook_params=HOOK)
    running = Running(operator)
    wait_until(lambda: partial_bytes(tmp_path) > 0, START_DEADLINE, "a partial source fetch")
    running.kill(operator)
    assert isinstance(running.error, TransferCancelledError)
    assert list(tmp_path.iterdir()) == []
    assert sim.requests_to("credential") == []


def test_cancel_ends_a_put_nobody_reads_within_the_send_timeout(
    topview_connection: TopviewSimulator,
    deaf_server: _DeafServer,  # noqa: F811
    sparse_file: Path,  # noqa: F811
) -> None:
    """A blocked send cannot be interrupted: the cancel is seen when it times out (connect timeout)."""
    connect_timeout = 0.5
    hook = fast_hook(**{**HOOK, "timeout": (connect_timeout, 5)})
    cancel = TransferCancel()
    errors: list[BaseException] = []

    def upload() -> None:
        with cancel.applies():
            try:
                hook.put_upload(deaf_server.url, lambda: sparse_file.open("rb"), sparse_file.stat().st_size)
            except BaseException as exc:  # handed to the test
                errors.append(exc)

    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    wait_until(lambda: deaf_server.connections, START_DEADLINE, "the PUT")
    cancel.cancel()
    thread.join(connect_timeout + CANCEL_BOUND)
    assert not thread.is_alive()
    assert [type(error) for error in errors] == [TransferCancelledError]
    assert len(deaf_server.connections) == 1  # not retried


SIGTERM_DAG = """
import json
import sys

from airflow.sdk import DAG

from airflow_topview.operators.files import DownloadVideosOperator

with DAG("topview_test_download_sigterm", schedule=None, render_template_as_native_obj=True) as dag:
    DownloadVideosOperator(
        task_id="download",
        task_result="{{ dag_run.conf['task_result'] }}",
        destination="{{ dag_run.conf['destination'] }}",
        hook_params=%r,
    )

if __name__ == "__main__":
    run = dag.test(run_conf=json.loads(sys.argv[1]))
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print("RESULT " + json.dumps({"run": str(run.state), "tasks": states}), flush=True)
"""


def test_sigterm_to_a_running_task_cancels_its_download(
    topview_connection: TopviewSimulator, airflow_home: Path, tmp_path: Path
) -> None:
    """``dag.test()`` runs the task through the task runner, whose SIGTERM handler calls ``on_kill``."""
    sim = topview_connection
    sim.video_bytes = BIG
    task = finished_task(sim, fast_hook(), count=1)
    home, dest = tmp_path / "home", tmp_path / "videos"
    (home / "dags").mkdir(parents=True)
    dest.mkdir()
    # Migrated already: a private copy, read without opening the DB in this process.
    (home / "airflow.db").write_bytes(read_without_opening(airflow_home / "airflow.db"))
    dag_file = home / "dags" / "topview_sigterm.py"
    dag_file.write_text(SIGTERM_DAG % HOOK)
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags")}
    sim.inject("download", Fault.drip(DRIP), times=None)
    conf = json.dumps({"task_result": task.to_xcom(), "destination": str(dest)})
    child = subprocess.Popen(
        [sys.executable, str(dag_file), conf],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: partial_bytes(dest) > 0 or child.poll() is not None, 240, "a partial download")
        assert child.poll() is None, "the task ended before it was stopped"
        child.send_signal(signal.SIGTERM)
        log, _ = child.communicate(timeout=30)  # the run also records the failure in the metadata DB
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert json.loads(log.rsplit("RESULT ", 1)[1].splitlines()[0]) == {
        "run": "failed",
        "tasks": {"download": "failed"},
    }, log[-4000:]
    assert "Task is being stopped: cancelling its file transfers" in log
    assert "TransferCancelledError" in log
    assert "cancelled: the task is being stopped" in log
    assert list(dest.iterdir()) == []
    [entry] = sim.wait_for(lambda: [e for e in sim.requests_to("download") if e.sent_bytes is not None])
    assert entry.sent_bytes < len(BIG)
