"""UploadFileOperator and DownloadVideosOperator in real DAG runs against the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner, DagRunResult

pytestmark = pytest.mark.dag

API_KEY = "sk-test-key"
ALLOWED = "png, jpg, jpeg, bmp, webp, mp4, mov, avi, mp3, wav, m4a"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def assert_no_secret(result: DagRunResult) -> None:
    assert API_KEY not in result.log
    assert API_KEY not in json.dumps(list(result.xcoms.values()), default=str)
    assert API_KEY not in json.dumps(list(result.rendered_fields.values()), default=str)


def finished_task(sim: TopviewSimulator, count: int) -> dict[str, Any]:
    """A finished task as the sensor pushes it (TopView's camelCase JSON)."""
    hook = TopviewHook("topview_default", retry_delay=0.01)
    request = build_request({"first_frame_file_id": sim.add_file("png"), "generating_count": count})
    task = hook.get_image_to_video_task(hook.submit_image_to_video(request).task_id)
    assert task.state == "success"
    return task.to_xcom()


# --- UploadFileOperator ---------------------------------------------------------------------------


def test_upload_returns_the_file_id(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    sim.upload_check_lag = 2
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    result = dag_runner.run("topview_test_upload", conf={"source": str(image)})
    assert result.state == "success", result.log[-4000:]
    [file_id] = sim.files
    assert result.xcom("upload") == file_id
    assert [entry.endpoint for entry in sim.journal] == ["credential", "upload", "check", "check", "check"]
    assert sim.files[file_id].size == len(PNG)
    assert_no_secret(result)


@pytest.mark.parametrize(
    ("conf", "complaint"),
    [
        ({"source": "/data/cat.gif"}, "source '/data/cat.gif' has the extension .gif"),
        ({"source": "/data/cat.png", "format": "tiff"}, "file_format 'tiff' is not a format TopView accepts"),
    ],
)
def test_wrong_format_fails_without_request_or_retry(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, conf: dict[str, str], complaint: str
) -> None:
    result = dag_runner.run("topview_test_upload", conf=conf)
    assert result.state == "failed"
    assert result.tries[("upload", -1)] == 1  # retries=2 in the DAG, but bad input is not retried
    assert complaint in result.log
    assert ALLOWED in result.log
    assert topview_connection.journal == []


def test_permanent_upload_error_fails_without_retry(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    sim.inject("upload", Fault.http(403, body="<Error><Code>AccessDenied</Code></Error>"), times=None)
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    result = dag_runner.run("topview_test_upload", conf={"source": str(image)})
    assert result.state == "failed"
    assert result.tries[("upload", -1)] == 1
    assert "HTTP 403" in result.log
    assert [entry.endpoint for entry in sim.journal] == ["credential", "upload"]


def test_mapped_uploads_feed_reference_images(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    sources = []
    for index, suffix in enumerate(("png", "jpg", "webp")):
        path = tmp_path / f"ref{index}.{suffix}"
        path.write_bytes(PNG + bytes([index]))
        sources.append(str(path))
    result = dag_runner.run("topview_test_upload_mapped_refs", conf={"sources": sources})
    assert result.state == "success", result.log[-4000:]
    ids = [result.xcom("upload", map_index=index) for index in range(3)]
    assert [sim.files[file_id].format for file_id in ids] == ["png", "jpg", "webp"]
    [submit] = sim.requests_to("submit")
    assert submit.json["referenceImageFileIds"] == ids
    assert not any(
        {"Authorization", "Topview-Uid"} & set(entry.headers) for entry in sim.requests_to("upload")
    )


# --- DownloadVideosOperator -----------------------------------------------------------------------


def test_download_from_task_result(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    task = finished_task(sim, count=2)
    sent_before = len(sim.journal)
    result = dag_runner.run("topview_test_download", conf={"task_result": task, "destination": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    expected = [str(tmp_path / f"{task['taskId']}_{index}.mp4") for index in range(2)]
    assert result.xcom("download") == expected
    assert all(Path(path).read_bytes()[4:8] == b"ftyp" for path in expected)
    downloads = sim.journal[sent_before:]
    assert [entry.endpoint for entry in downloads] == ["download", "download"]  # no query needed
    assert not any({"Authorization", "Topview-Uid"} & set(entry.headers) for entry in downloads)
    assert_no_secret(result)


def test_download_by_task_id_skips_failed_videos_with_a_warning(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    sim.script_next_task("partial", error_msg="content filter", failed_videos=[0])
    task_id = finished_task(sim, count=3)["taskId"]
    result = dag_runner.run(
        "topview_test_download",
        conf={"topview_task_id": task_id, "destination": str(tmp_path), "template": "clip-{index}.mp4"},
    )
    assert result.state == "success", result.log[-4000:]
    assert result.xcom("download") == [str(tmp_path / "clip-1.mp4"), str(tmp_path / "clip-2.mp4")]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip-1.mp4", "clip-2.mp4"]
    assert f"Skipping video 0 of TopView task {task_id}: it failed (content filter)" in result.log


def test_expired_urls_are_refreshed_once(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    task = finished_task(sim, count=1)
    sim.expire_urls()  # the URLs in task_result are dead now
    sent_before = len(sim.journal)
    result = dag_runner.run("topview_test_download", conf={"task_result": task, "destination": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    assert result.tries[("download", -1)] == 1
    sent = sim.journal[sent_before:]
    assert [(entry.endpoint, entry.status) for entry in sent] == [
        ("download", 403),
        ("query", 200),
        ("download", 200),
    ]
    assert (tmp_path / f"{task['taskId']}_0.mp4").read_bytes()[4:8] == b"ftyp"


def test_unfinished_task_fails_without_retry(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    task = {"taskId": "a" * 32, "status": "running", "videos": []}
    result = dag_runner.run("topview_test_download", conf={"task_result": task, "destination": str(tmp_path)})
    assert result.state == "failed"
    assert result.tries[("download", -1)] == 1
    assert f"TopView task {'a' * 32} is 'running', not finished successfully" in result.log
    assert topview_connection.journal == []


def test_download_chains_after_a_submit_that_waited(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    """``task_result=submit.output`` is the TopView task id: the task is queried, not refused."""
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_chain_after_wait", conf={"first": sim.add_file("png"), "out": str(tmp_path)}
    )
    assert result.state == "success", result.log[-3000:]
    task_id = result.xcom("submit")
    [written] = result.xcom("download")
    assert Path(written) == tmp_path / f"{task_id}_0.mp4"
    assert Path(written).stat().st_size > 0
