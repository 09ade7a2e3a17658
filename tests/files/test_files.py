"""TopviewHook uploads and downloads against the simulator over real HTTP: what crossed the wire.

Uploads: credential -> presigned PUT (streamed, no TopView headers) -> check (lags). Downloads: signed,
expiring video URLs, fetched without TopView headers and refreshed by one re-query when refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_topview.client.request import ImageToVideoTask, build_request
from airflow_topview.exceptions import TopviewAPIError, TopviewError
from airflow_topview.hooks.storage import fsspec_view
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, JournalEntry, TopviewSimulator


def same_file_url(url: str) -> str:
    """``memory:///a/b`` as ``memory://a/b``: the same file (fsspec's memory filesystem has no host).

    On Airflow < 3.2 a ``memory://`` destination goes through universal-pathlib 0.2, which writes the
    URLs of the paths it returns with three slashes.
    """
    return url.replace("memory:///", "memory://", 1)


API_KEY = "sk-test-key"
TOPVIEW_HEADERS = ("Authorization", "Topview-Uid")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def fast_hook(**overrides: object) -> TopviewHook:
    params: dict[str, object] = {"retry_limit": 4, "retry_delay": 0.01, "retry_max_delay": 0.05, "timeout": 5}
    params.update(overrides)
    return TopviewHook("topview_default", **params)  # type: ignore[arg-type]


def upload(hook: TopviewHook, source: object, **kwargs: object) -> str:
    return hook.upload_file(source, check_interval=0.02, **kwargs)  # type: ignore[arg-type]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_upload_flow(sim: TopviewSimulator, fmt: str, data: bytes, file_id: str, checks: int = 1) -> None:
    """The journal shows exactly credential -> PUT (no TopView headers) -> check(s), and the bytes arrived."""
    journal = sim.journal
    assert [entry.endpoint for entry in journal] == ["credential", "upload"] + ["check"] * checks
    credential, put, *check_calls = journal
    assert (credential.method, credential.query, credential.status) == ("GET", {"format": fmt}, 200)
    assert (put.method, put.status, put.body_size) == ("PUT", 200, len(data))
    assert put.path == f"/_upload/{file_id}"
    assert not set(TOPVIEW_HEADERS) & set(put.headers)
    assert put.headers["Content-Length"] == str(len(data))
    assert credential.headers["Authorization"] == f"Bearer {API_KEY}"
    assert all(entry.query == {"fileId": file_id} for entry in check_calls)
    record = sim.files[file_id]
    assert (record.format, record.uploaded, record.checked) == (fmt, True, True)
    assert (record.size, record.sha256) == (len(data), sha256(data))


class _SourceServer:
    """A local web server for upload sources: serves files from a folder, remembers request headers."""

    def __init__(self, folder: Path) -> None:
        self.requests: list[dict[str, str]] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.requests.append(dict(self.headers.items()))
                path = folder / self.path.split("?")[0].lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                with path.open("rb") as body:
                    while chunk := body.read(1 << 20):
                        self.wfile.write(chunk)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> _SourceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def source_server(tmp_path: Path) -> Iterator[_SourceServer]:
    folder = tmp_path / "served"
    folder.mkdir()
    with _SourceServer(folder) as server:
        yield server


# --- uploads ------------------------------------------------------------------------------------


def test_upload_local_file(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    file_id = upload(fast_hook(), str(image))
    assert_upload_flow(topview_connection, "png", PNG, file_id)


def test_upload_from_http_url_without_topview_headers(
    topview_connection: TopviewSimulator, source_server: _SourceServer, tmp_path: Path
) -> None:
    data = b"\xff\xd8\xff\xe0" + os.urandom(300_000)
    (tmp_path / "served" / "photo.JPG").write_bytes(data)
    file_id = upload(fast_hook(), f"{source_server.url}/photo.JPG?token=abc")
    assert_upload_flow(topview_connection, "jpg", data, file_id)
    [fetch] = source_server.requests
    assert not {name.lower() for name in TOPVIEW_HEADERS} & {name.lower() for name in fetch}


def test_missing_url_source_fails_before_any_topview_request(
    topview_connection: TopviewSimulator, source_server: _SourceServer
) -> None:
    with pytest.raises(FileNotFoundError, match="HTTP 404"):
        upload(fast_hook(), f"{source_server.url}/nope.png")
    assert topview_connection.journal == []


@pytest.mark.parametrize("scheme", ["file", "memory"])
def test_upload_from_object_storage_path(
    topview_connection: TopviewSimulator, tmp_path: Path, scheme: str
) -> None:
    data = b"RIFF" + os.urandom(50_000)
    if scheme == "file":
        (tmp_path / "store").mkdir()
        (tmp_path / "store" / "still.webp").write_bytes(data)
        path = ObjectStoragePath(f"file://{tmp_path}/store/still.webp")
    else:
        path = ObjectStoragePath(f"memory://topview-tests/{uuid.uuid4().hex}/still.webp")
        view = fsspec_view(path)  # Airflow < 3.2 does no I/O itself for schemes it has no filesystem for
        view.parent.mkdir(parents=True, exist_ok=True)
        view.write_bytes(data)
    file_id = upload(fast_hook(), path)  # an ObjectStoragePath ...
    assert_upload_flow(topview_connection, "webp", data, file_id)
    topview_connection.reset()
    file_id = upload(fast_hook(), str(path))  # ... or its URL
    assert_upload_flow(topview_connection, "webp", data, file_id)


def test_explicit_format_overrides_the_extension(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    image = tmp_path / "frame.bin"
    image.write_bytes(PNG)
    file_id = upload(fast_hook(), str(image), file_format="PNG")
    assert_upload_flow(topview_connection, "png", PNG, file_id)


def test_lagging_check_is_polled_until_true(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    sim = topview_connection
    sim.upload_check_lag = 3
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    file_id = upload(fast_hook(), str(image))
    assert_upload_flow(sim, "png", PNG, file_id, checks=4)


def test_check_that_never_confirms_times_out(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    topview_connection.upload_check_lag = 1000
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    with pytest.raises(TopviewError, match=r"did not confirm the upload of file \w+ within 0.2 s"):
        upload(fast_hook(), str(image), check_timeout=0.2)
    assert len(topview_connection.requests_to("check")) >= 2


@pytest.mark.parametrize(
    "fault", [Fault.http(503), Fault.http(429, retry_after=0), Fault.drop()], ids=["503", "429", "drop"]
)
def test_transient_put_failure_is_retried_from_the_start(
    topview_connection: TopviewSimulator, tmp_path: Path, fault: Fault
) -> None:
    sim = topview_connection
    sim.inject("upload", fault, times=2)
    data = os.urandom(2_000_000)
    image = tmp_path / "frame.png"
    image.write_bytes(data)
    file_id = upload(fast_hook(), str(image))
    puts = sim.requests_to("upload")
    assert len(puts) == 3
    assert puts[-1].status == 200
    assert all(entry.headers["Content-Length"] == str(len(data)) for entry in puts)
    assert sim.files[file_id].sha256 == sha256(data)
    assert len(sim.requests_to("credential")) == 1  # the same presigned URL, the body reopened


def test_permanent_put_failure_is_not_retried(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    sim = topview_connection
    sim.inject("upload", Fault.http(403, body="<Error><Code>AccessDenied</Code></Error>"))
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    with pytest.raises(TopviewAPIError, match="HTTP 403") as failure:
        upload(fast_hook(), str(image))
    assert not failure.value.retryable
    assert "X-Amz-Signature" not in str(failure.value)  # the presigned URL's secret stays out of errors
    assert [entry.endpoint for entry in sim.journal] == ["credential", "upload"]


@pytest.mark.parametrize(
    ("source", "file_format", "complaint"),
    [
        ("cat.gif", None, r"source 'cat\.gif' has the extension \.gif"),
        ("cat", None, "source 'cat' has no file extension"),
        ("cat.png", "tiff", "file_format 'tiff' is not a format TopView accepts"),
    ],
)
def test_wrong_format_is_refused_before_any_request(
    topview_connection: TopviewSimulator, source: str, file_format: str | None, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint) as failure:
        upload(fast_hook(), source, file_format=file_format)
    assert "png, jpg, jpeg, bmp, webp, mp4, mov, avi, mp3, wav, m4a" in str(failure.value)
    assert topview_connection.journal == []


def test_missing_local_file_is_refused_before_any_request(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        upload(fast_hook(), str(tmp_path / "missing.png"))
    assert topview_connection.journal == []


STREAMING_PROBE = """
import json, resource, sys
from airflow_topview.hooks.topview import TopviewHook

def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

hook = TopviewHook(retry_delay=0.01, timeout=60)
hook.upload_file(sys.argv[1], check_interval=0.02)  # warm up: imports, connection lookup, pools
report = []
for source in sys.argv[2:]:
    before = peak_kib()
    file_id = hook.upload_file(source, check_interval=0.02)
    report.append({"source": source, "file_id": file_id, "growth_kib": peak_kib() - before})
print(json.dumps(report))
"""


def test_uploads_stream_in_constant_memory(
    topview_connection: TopviewSimulator, source_server: _SourceServer, tmp_path: Path
) -> None:
    """Uploading 256 MiB, from a file and from a URL, raises the peak memory by far less than that."""
    size = 256 << 20
    served = tmp_path / "served"
    big, small = served / "big.mp4", served / "small.mp4"
    with big.open("wb") as handle:  # sparse: no disk space used, reads back as zeros
        handle.truncate(size)
    small.write_bytes(b"\0" * 1024)
    sources = [str(big), f"{source_server.url}/big.mp4"]
    run = subprocess.run(
        [sys.executable, "-c", STREAMING_PROBE, str(small), *sources],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert [item["source"] for item in report] == sources
    zeros = hashlib.sha256()
    chunk = bytes(1 << 20)
    for _ in range(size >> 20):
        zeros.update(chunk)
    for item in report:
        assert item["growth_kib"] < 32 * 1024, item  # under 1/8 of the file
        record = topview_connection.files[item["file_id"]]
        assert (record.size, record.sha256, record.checked) == (size, zeros.hexdigest(), True)
    put_sizes = [entry.body_size for entry in topview_connection.requests_to("upload")]
    assert put_sizes == [1024, size, size]


# --- downloads ----------------------------------------------------------------------------------


def finished_task(sim: TopviewSimulator, hook: TopviewHook, count: int = 2) -> ImageToVideoTask:
    request = build_request({"first_frame_file_id": sim.add_file("png"), "generating_count": count})
    task_id = hook.submit_image_to_video(request).task_id
    task = hook.get_image_to_video_task(task_id)
    assert task.state == "success"
    return task


def journal_after_submit(sim: TopviewSimulator) -> list[JournalEntry]:
    """What was sent after the submit and the first query (the downloads, and any re-query)."""
    journal = sim.journal
    assert [entry.endpoint for entry in journal[:2]] == ["submit", "query"]
    return journal[2:]


def assert_mp4s(paths: list[str], names: list[str]) -> None:
    assert [Path(path).name for path in paths] == names
    for path in paths:
        assert Path(path).read_bytes()[4:8] == b"ftyp"


def assert_no_topview_headers(sim: TopviewSimulator) -> None:
    for entry in sim.requests_to("download"):
        assert not set(TOPVIEW_HEADERS) & set(entry.headers)


def test_download_writes_named_mp4s(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=2)
    paths = hook.download_videos(task, str(tmp_path / "out"))
    assert_mp4s(paths, [f"{task.task_id}_0.mp4", f"{task.task_id}_1.mp4"])
    assert [entry.status for entry in journal_after_submit(sim)] == [200, 200]
    assert_no_topview_headers(sim)


def test_download_to_object_storage_with_template(topview_connection: TopviewSimulator) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=1)
    prefix = f"memory://topview-tests/{uuid.uuid4().hex}"
    paths = hook.download_videos(task, prefix, filename_template="clips/{width}x{height}-{index}.mp4")
    assert [same_file_url(path) for path in paths] == [f"{prefix}/clips/1280x720-0.mp4"]
    assert fsspec_view(ObjectStoragePath(paths[0])).read_bytes()[4:8] == b"ftyp"


def test_failed_videos_are_skipped(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    sim, hook = topview_connection, fast_hook()
    sim.script_next_task("partial", error_msg="content filter", failed_videos=[1])
    task = finished_task(sim, hook, count=3)
    paths = hook.download_videos(task, str(tmp_path))
    assert_mp4s(paths, [f"{task.task_id}_0.mp4", f"{task.task_id}_2.mp4"])
    assert [entry.path.rsplit("/", 1)[-1] for entry in sim.requests_to("download")] == ["0.mp4", "2.mp4"]


def test_expired_urls_are_refreshed_by_one_query(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=2)
    sim.expire_urls()
    paths = hook.download_videos(task, str(tmp_path))
    assert_mp4s(paths, [f"{task.task_id}_0.mp4", f"{task.task_id}_1.mp4"])
    sent = journal_after_submit(sim)
    assert [(entry.endpoint, entry.status) for entry in sent] == [
        ("download", 403),
        ("query", 200),
        ("download", 200),
        ("download", 200),
    ]
    assert sent[1].query["taskId"] == task.task_id
    assert_no_topview_headers(sim)


def test_a_kept_subset_is_refreshed_by_video_not_by_position(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    """A reviewer kept video 2 of 3: after the refresh it is still video 2 that lands in the file."""
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=3)
    kept = task.model_copy(update={"videos": [task.videos[2], task.videos[1]]})
    sim.expire_urls()
    paths = hook.download_videos(kept, str(tmp_path), filename_template="{topview_task_id}_kept{index}.mp4")
    assert_mp4s(paths, [f"{task.task_id}_kept0.mp4", f"{task.task_id}_kept1.mp4"])
    sent = journal_after_submit(sim)
    assert [(entry.endpoint, entry.path.rsplit("/", 1)[-1], entry.status) for entry in sent] == [
        ("download", "2.mp4", 403),
        ("query", "query", 200),
        ("download", "2.mp4", 200),
        ("download", "1.mp4", 200),
    ]


def test_a_video_the_refreshed_task_does_not_list_fails_by_name(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=2)  # one video held, not the whole list: no position to go by
    gone = task.videos[0].model_copy(update={"file_path": f"{sim.base_url}/_videos/{task.task_id}/5.mp4?X=1"})
    where = f"{sim.base_url}/_videos/{task.task_id}/5.mp4"
    with pytest.raises(TopviewError, match=f"no longer lists video {re.escape(where)} after a refresh"):
        hook.download_videos(task.model_copy(update={"videos": [gone]}), str(tmp_path))
    assert [entry.endpoint for entry in journal_after_submit(sim)] == ["download", "query"]
    assert list(tmp_path.iterdir()) == []


def test_urls_refused_after_the_refresh_fail(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=1)
    sim.inject("download", Fault.http(403, body="<Error><Code>AccessDenied</Code></Error>"), times=None)
    with pytest.raises(TopviewAPIError, match="HTTP 403"):
        hook.download_videos(task, str(tmp_path))
    assert [entry.endpoint for entry in journal_after_submit(sim)] == ["download", "query", "download"]
    assert list(tmp_path.iterdir()) == []


def test_transient_download_failure_is_retried(topview_connection: TopviewSimulator, tmp_path: Path) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=1)
    sim.inject("download", Fault.http(502))
    sim.inject("download", Fault.drop())
    paths = hook.download_videos(task, str(tmp_path))
    assert_mp4s(paths, [f"{task.task_id}_0.mp4"])
    assert [entry.status for entry in journal_after_submit(sim)] == [502, None, 200]


def test_the_same_bytes_again_reuse_the_earlier_file_id_while_topview_has_it(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    """A cleared upload (same task, same bytes) gets its file id back: the submit's request is unchanged."""
    sim, hook = topview_connection, fast_hook()
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    uploads: dict[str, str] = {}
    first = upload(hook, str(image), uploads=uploads)
    again = upload(hook, str(image), uploads=uploads)
    assert again == first
    assert [entry.endpoint for entry in sim.journal].count("credential") == 1
    image.write_bytes(PNG + b"\0")  # other bytes under the same name: a new file
    other = upload(hook, str(image), uploads=uploads)
    assert other != first
    assert len(uploads) == 2


def test_an_earlier_file_topview_no_longer_has_is_uploaded_anew(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    sim, hook = topview_connection, fast_hook()
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    uploads: dict[str, str] = {}
    first = upload(hook, str(image), uploads=uploads)
    uploads = dict.fromkeys(uploads, "f" * 32)  # an id TopView does not know (expired, another account)
    again = upload(hook, str(image), uploads=uploads)
    assert again not in (first, "f" * 32)
    assert [entry.endpoint for entry in sim.journal].count("credential") == 2
