"""The stall rule: a transfer must move 64 KiB in every ``stall_timeout`` seconds, or it is abandoned.

Real HTTP: the simulator drips video bodies (``Fault.drip``), which also serve as upload sources given
as URLs; a local server that accepts an upload PUT and never reads it stands for a stalled upload. Each
test computes its upper bound from the hook's parameters and runs the call in a thread joined with that
bound, so it fails (instead of hanging) when a transfer outlives it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airflow_topview.exceptions import TopviewConnectionError
from airflow_topview.hooks.transfer_control import MIN_PROGRESS
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import HardeningReport
from tests.files.test_files import fast_hook, finished_task

BIG = bytes(range(256)) * 4096  # 1 MiB
STALL = 0.5
ATTEMPTS = 3
MAX_DELAY = 0.05
# Per attempt, on top of the stall window: connecting, the answer's headers, thread start (loopback).
OVERHEAD = 1.0
BOUND = ATTEMPTS * (STALL + OVERHEAD) + (ATTEMPTS - 1) * MAX_DELAY


def stall_hook(**overrides: object) -> object:
    params: dict[str, object] = {
        "retry_limit": ATTEMPTS,
        "retry_max_delay": MAX_DELAY,
        "stall_timeout": STALL,
    }
    params.update(overrides)
    return fast_hook(**params)


def run_bounded(call: Callable[[], object], bound: float) -> tuple[BaseException | None, float]:
    """Run ``call`` in a thread; (its exception, seconds taken), or fail if it runs longer than ``bound``."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(bound)
    elapsed = time.monotonic() - started
    assert not thread.is_alive(), f"still transferring after {bound:g} s"
    return outcome[0], elapsed


def video_url(sim: TopviewSimulator) -> str:
    sim.video_bytes = BIG
    return str(finished_task(sim, fast_hook(), count=1).videos[0].file_path)


@pytest.mark.parametrize("rate", [1, 20_000], ids=["1 B/s", "20 kB/s"])
def test_dripping_download_is_abandoned_within_the_bound(
    topview_connection: TopviewSimulator, tmp_path: Path, rate: int, hardening_report: HardeningReport
) -> None:
    assert rate * STALL < MIN_PROGRESS  # both rates are stalls by the rule
    sim = topview_connection
    url = video_url(sim)
    sim.inject("download", Fault.drip(rate), times=None)
    hook = stall_hook()
    error, elapsed = run_bounded(lambda: hook.download_video(url, str(tmp_path / "v.mp4")), BOUND)
    assert isinstance(error, TopviewConnectionError)
    assert f"stalled: fewer than 64 KiB arrived in {STALL:g} s" in str(error)
    assert elapsed >= ATTEMPTS * STALL  # every attempt was given its full window
    assert list(tmp_path.iterdir()) == []
    hardening_report.note(
        "deadlines #10 downloads",
        f"deadlines #10: downloads dripping at 1 B/s and 20 kB/s abandoned as stalled within the bound "
        f"({ATTEMPTS} attempts of {STALL:g} s), no file left",
    )

    def closed() -> list[str | None]:
        return [entry.fault for entry in sim.requests_to("download") if entry.sent_bytes is not None]

    assert sim.wait_for(lambda: len(closed()) >= ATTEMPTS and closed()) == ["drip"] * ATTEMPTS


def test_slow_but_useful_download_is_not_cut(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    """1 MB/s moves 500 kB per 0.5 s window, well over 64 KiB: a stall_timeout of 0.5 s keeps it."""
    sim = topview_connection
    url = video_url(sim)
    sim.inject("download", Fault.drip(1_000_000))
    target = tmp_path / "v.mp4"
    error, _ = run_bounded(lambda: stall_hook().download_video(url, str(target)), 30)
    assert error is None
    assert target.read_bytes() == BIG
    assert [entry.fault for entry in sim.requests_to("download")] == ["drip"]


def test_stalled_url_source_is_abandoned_before_asking_topview(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    url = video_url(sim)  # an .mp4 URL outside TopView's API: a valid upload source
    sim.inject("download", Fault.drip(1), times=None)
    hook = stall_hook()
    error, _ = run_bounded(lambda: hook.upload_file(url, check_interval=0.02), BOUND)
    assert isinstance(error, TopviewConnectionError)
    assert "stalled" in str(error)
    assert sim.requests_to("credential") == []


class _DeafServer:
    """Accepts connections and never reads from them: an upload that cannot make progress."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/_upload/deaf?X-Amz-Signature=s"
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self.connections.append(conn)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        for conn in self.connections:
            conn.close()
        self.thread.join()


@pytest.fixture
def deaf_server() -> Iterator[_DeafServer]:
    server = _DeafServer()
    yield server
    server.close()


@pytest.fixture
def sparse_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.mp4"
    with path.open("wb") as handle:  # no disk space used: reads back as zeros
        handle.truncate(256 << 20)
    return path


def test_upload_put_to_a_server_that_stops_reading_is_abandoned(
    topview_connection: TopviewSimulator, deaf_server: _DeafServer, sparse_file: Path
) -> None:
    """Each 64 KiB piece must leave within stall_timeout, although the connect timeout is 5 s."""
    hook = stall_hook(timeout=(5, 5))
    size = sparse_file.stat().st_size
    error, _ = run_bounded(
        lambda: hook.put_upload(deaf_server.url, lambda: sparse_file.open("rb"), size), BOUND
    )
    assert isinstance(error, TopviewConnectionError), error
    assert "timed out" in str(error)
    assert len(deaf_server.connections) == ATTEMPTS
