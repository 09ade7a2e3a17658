"""Downloads never leave a partial file under the final name, and never delete a file they did not write.

Real HTTP against the simulator: cut bodies (``Fault.cut``), a SIGKILLed downloader (``Fault.drip``), for
local folders and object-storage prefixes (``file://``, ``memory://``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_topview.exceptions import TopviewConnectionError
from airflow_topview.hooks.storage import fsspec_view
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import HardeningReport
from tests.files.test_files import fast_hook, finished_task, same_file_url

BIG = bytes(range(256)) * 8192  # 2 MiB, every byte value
OTHER = b"an earlier, good file" * 1000
DESTINATIONS = ("local", "file", "memory")


def destination(kind: str, tmp_path: Path) -> str:
    if kind == "local":
        return str(tmp_path / "out")
    if kind == "file":
        return f"file://{tmp_path}/out"
    return f"memory://topview-tests/{uuid.uuid4().hex}"


def folder(dest: str) -> object:
    return fsspec_view(ObjectStoragePath(dest))


def names_in(dest: str) -> list[str]:
    view = folder(dest)
    return sorted(path.name for path in view.iterdir()) if view.exists() else []  # type: ignore[attr-defined]


def read(dest: str, name: str) -> bytes:
    return (folder(dest) / name).read_bytes()  # type: ignore[operator, no-any-return]


def put_file(dest: str, name: str, data: bytes) -> None:
    view = folder(dest)
    view.mkdir(parents=True, exist_ok=True)  # type: ignore[attr-defined]
    (view / name).write_bytes(data)  # type: ignore[operator]


@pytest.mark.parametrize("kind", DESTINATIONS)
def test_complete_download_replaces_the_file_and_leaves_no_temporary(
    topview_connection: TopviewSimulator, tmp_path: Path, kind: str
) -> None:
    sim, hook = topview_connection, fast_hook()
    sim.video_bytes = BIG
    task = finished_task(sim, hook, count=1)
    dest, name = destination(kind, tmp_path), f"{task.task_id}_0.mp4"
    put_file(dest, name, OTHER)
    sim.inject("download", Fault.cut(len(BIG) // 2))  # the first attempt is cut: retried from the start
    assert [same_file_url(path) for path in hook.download_videos(task, dest)] == [f"{dest}/{name}"]
    assert read(dest, name) == BIG
    assert names_in(dest) == [name]
    assert [(entry.fault, entry.sent_bytes) for entry in sim.requests_to("download")] == [
        ("cut", len(BIG) // 2),
        (None, len(BIG)),
    ]


@pytest.mark.parametrize("kind", DESTINATIONS)
def test_failed_redownload_keeps_the_previous_file(
    topview_connection: TopviewSimulator, tmp_path: Path, kind: str
) -> None:
    """Today's good file survives a later download whose every attempt is cut short."""
    sim, hook = topview_connection, fast_hook(retry_limit=3)
    task = finished_task(sim, hook, count=1)
    dest = destination(kind, tmp_path)
    [written] = hook.download_videos(task, dest)
    name = written.rsplit("/", 1)[-1]
    first = read(dest, name)
    assert first == sim.video_bytes
    sim.video_bytes = BIG
    sim.inject("download", Fault.cut(100_000), times=None)
    with pytest.raises(TopviewConnectionError):
        hook.download_videos(task, dest)
    assert read(dest, name) == first
    assert names_in(dest) == [name]  # the cut attempts removed their own temporary files
    assert [entry.fault for entry in sim.requests_to("download")] == [None, "cut", "cut", "cut"]


def test_refused_download_leaves_a_file_it_did_not_write(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=1)
    dest, name = str(tmp_path), f"{task.task_id}_0.mp4"
    put_file(dest, name, OTHER)
    sim.inject("download", Fault.http(403, body="<Error><Code>AccessDenied</Code></Error>"), times=None)
    with pytest.raises(Exception, match="HTTP 403"):
        hook.download_videos(task, dest)
    assert read(dest, name) == OTHER
    assert names_in(dest) == [name]


KILLED_DOWNLOADER = """
import sys
from airflow_topview.hooks.topview import TopviewHook

TopviewHook(retry_limit=1, timeout=5, stall_timeout=60).download_video(sys.argv[1], sys.argv[2])
"""


def test_sigkill_mid_download_leaves_only_a_temporary_file(
    topview_connection: TopviewSimulator, tmp_path: Path, hardening_report: HardeningReport
) -> None:
    sim, hook = topview_connection, fast_hook()
    sim.video_bytes = BIG
    url = str(finished_task(sim, hook, count=1).videos[0].file_path)
    sim.inject("download", Fault.drip(20_000))  # about 100 s for the whole file
    target = tmp_path / "video.mp4"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_DOWNLOADER, url, str(target)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def bytes_on_disk() -> int:
        return sum(path.stat().st_size for path in tmp_path.iterdir() if path.is_file())

    try:
        deadline = time.monotonic() + 60  # the child imports Airflow first
        while bytes_on_disk() == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bytes_on_disk() > 0, process.stderr.read().decode()[-3000:] if process.poll() else "no bytes"
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not target.exists()
    [partial] = tmp_path.iterdir()
    assert partial.name.startswith(".video.mp4.")
    assert partial.name.endswith(".part")
    assert 0 < partial.stat().st_size < len(BIG)
    hardening_report.note(
        "downloads #11 partial files",
        "downloads #11: SIGKILL mid-download leaves only a temporary .part, never the final name; a "
        "failed re-download keeps the earlier file",
    )
    assert partial.read_bytes() == BIG[: partial.stat().st_size]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>Service temporarily unavailable</body></html>", "text/html"),
        ('{"error": "throttled"}', "application/json"),
        ("<?xml version='1.0'?><Error><Code>SlowDown</Code></Error>", "application/octet-stream"),
    ],
    ids=["html-page", "json-error", "xml-as-octets"],
)
def test_a_page_answered_with_200_never_replaces_a_video(
    topview_connection: TopviewSimulator, tmp_path: Path, body: str, content_type: str
) -> None:
    """A proxy or CDN answering 200 with an error page (even labelled as binary) is not the video."""
    sim, hook = topview_connection, fast_hook(retry_limit=2)
    task = finished_task(sim, hook, count=1)
    dest = destination("local", tmp_path)
    [written] = hook.download_videos(task, dest)
    name = written.rsplit("/", 1)[-1]
    good = read(dest, name)
    sim.inject("download", Fault.http(200, body=body, content_type=content_type), times=None)
    with pytest.raises(TopviewConnectionError, match="not a media file"):
        hook.download_videos(task, dest)
    assert read(dest, name) == good
    assert names_in(dest) == [name]
