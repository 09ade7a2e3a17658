"""Stopping while a fault holds an answer back: the held handler ends at once, its journal entry closes
as dropped, and asyncio has nothing left pending to complain about."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from airflow_topview.testing import Fault, TopviewSimulator

from .conftest import SUBMIT, Api, send_raw

STOP_DEADLINE = 5.0  # seconds; a held answer must not make stop() wait for it


def _stop_within_deadline(sim: TopviewSimulator) -> None:
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < STOP_DEADLINE


@pytest.mark.parametrize("client_stays", [False, True], ids=["client-gone", "client-connected"])
def test_stop_cuts_off_a_held_slow_answer(client_stays: bool) -> None:
    # A long shutdown_timeout: the held answer must be cut off, not waited for.
    sim = TopviewSimulator(shutdown_timeout=30).start()
    try:
        sim.inject("submit", Fault.slow(60))
        sock = send_raw(sim, "POST", SUBMIT, {"model": "kling-v3", "firstFrameFileId": sim.add_file()})
        sim.wait_for(lambda: sim.journal and sim.journal[0].handler_code == "200")
        if not client_stays:
            sock.close()
        _stop_within_deadline(sim)
        if client_stays:
            assert sock.recv(1024) == b""  # closed without an answer
            sock.close()
    finally:
        sim.stop()
    [entry] = sim.journal
    assert (entry.status, entry.code, entry.sent_bytes) == (None, None, 0)  # dropped
    assert (entry.fault, entry.handler_code) == ("slow", "200")
    assert len(sim.tasks) == 1  # the task was created before the answer was held


def test_stop_cuts_off_a_dripping_download() -> None:
    with TopviewSimulator(polls_to_finish=1, shutdown_timeout=30) as sim:
        api = Api(sim)
        sim.video_bytes = b"v" * 100_000
        video_url = api.run_to_end(api.submit_ok())["videos"][0]["filePath"]
        api.http.close()
        sim.inject("download", Fault.drip(2))  # one byte every half second
        download = send_raw(sim, "GET", video_url.removeprefix(sim.base_url))
        sim.wait_for(lambda: sim.requests_to("download") and sim.requests_to("download")[0].fault == "drip")
        _stop_within_deadline(sim)
        download.close()
    [entry] = sim.requests_to("download")
    assert entry.status is None  # cut off: journaled as dropped, with what was sent
    assert entry.sent_bytes is not None
    assert entry.sent_bytes < 100_000


_SCRIPT = """
import socket
from airflow_topview.testing import Fault, TopviewSimulator
sim = TopviewSimulator().start()
sim.inject("credit", Fault.slow(60))
sock = socket.create_connection(("127.0.0.1", sim.port))
sock.sendall(b"GET /user/credit/detail HTTP/1.1\\r\\nHost: x\\r\\n"
             b"Topview-Uid: test-uid\\r\\nAuthorization: Bearer sk-test-key\\r\\n\\r\\n")
sim.wait_for(lambda: sim.journal and sim.journal[0].fault == "slow")
sock.close()
sim.stop()
entry = sim.journal[0]
print("entry", entry.status, entry.sent_bytes)
"""


def test_stopping_with_a_held_answer_leaves_no_asyncio_noise() -> None:
    """Run in a fresh interpreter: "Task was destroyed but it is pending!" shows at garbage collection."""
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=30, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "entry None 0"
    assert run.stderr == ""
