"""Every deadline covers the response headers too: a server dripping its status line and headers a byte
at a time (each byte well inside the socket's read timeout) cannot hold a call or a download past it.

The dripping server is a plain TCP server on 127.0.0.1 written for this test: the simulator's answers
go through aiohttp, which sends headers in one piece.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_topview.client.request import ImageToVideoTask, build_request
from airflow_topview.exceptions import TopviewConnectionError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from tests.conftest import HardeningReport

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Padding: " + b"a" * 400 + b"\r\n"


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """Accepts connections and sends HEADERS one byte every 0.1 s, never finishing them."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            for byte in HEADERS:
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    server.close()


def connect_to(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    connection = {"conn_type": "topview", "login": "uid", "password": "sk-drip-key", "host": host}
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))


def test_dripped_headers_end_a_query_at_its_deadline(
    dripping_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_to(monkeypatch, dripping_server)
    hook = TopviewHook(retry_limit=1, timeout=1.5, call_timeout=3)
    started = time.monotonic()
    with pytest.raises(TopviewConnectionError, match=r"no complete answer within 1\.5 s"):
        hook.get_image_to_video_task("0" * 32)
    # The drip would last 45 s: ending near the 1.5 s deadline, with room for a loaded machine.
    assert time.monotonic() - started < 1.5 + 10


def test_dripped_headers_to_a_submit_end_it_as_uncertain(
    dripping_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request went out: whether TopView created the task is unknown, so it is never sent again."""
    connect_to(monkeypatch, dripping_server)
    hook = TopviewHook(retry_limit=3, timeout=1.5, call_timeout=10)
    started = time.monotonic()
    with pytest.raises(TopviewSubmitUncertainError):
        hook.submit_image_to_video(build_request({"first_frame_file_id": "file-1"}))
    assert time.monotonic() - started < 1.5 + 10


def test_dripped_headers_end_a_download_within_the_stall_window(
    dripping_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hardening_report: HardeningReport
) -> None:
    connect_to(monkeypatch, dripping_server)
    hook = TopviewHook(retry_limit=1, stall_timeout=1.5, timeout=30)
    task = ImageToVideoTask.model_validate(
        {
            "taskId": "a" * 32,
            "status": "success",
            "videos": [{"filePath": f"{dripping_server}/video.mp4", "status": "success"}],
        }
    )
    started = time.monotonic()
    with pytest.raises(TopviewConnectionError, match="stall window"):
        hook.download_videos(task, str(tmp_path))
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 10  # the drip would last 45 s; room for a loaded machine
    assert list(tmp_path.iterdir()) == []
    hardening_report.note(
        "deadlines #8 headers",
        f"deadlines round 3 #8: headers dripped at 10 B/s: query, submit and download cut (download after "
        f"{elapsed:.1f} s, stall window 1.5 s)",
    )
