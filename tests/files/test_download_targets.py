"""A finished task's video URL comes from the server: never fetched from loopback or link-local hosts
(a cloud's metadata service, local services) unless the connection points at one; never with TopView's
headers, whatever the host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_topview.exceptions import TopviewError
from airflow_topview.hooks.targets import check_video_url, is_local
from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.files.test_files import fast_hook, finished_task


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("169.254.169.254", True), ("::1", True), ("8.8.8.8", False)],
)
def test_loopback_and_link_local_hosts_are_recognised(host: str, local: bool) -> None:
    assert is_local(host) is local


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://127.0.0.1:8080/api/v2/connections",
        "http://[::1]/admin",
        "file:///etc/passwd",
    ],
)
def test_a_public_api_never_sends_the_worker_to_local_targets(url: str) -> None:
    with pytest.raises(TopviewError, match="refusing to download"):
        check_video_url(url, "https://api.topview.ai")


def test_a_local_api_may_serve_local_videos() -> None:
    check_video_url("http://127.0.0.1:8765/_videos/a/0.mp4", "http://127.0.0.1:8765")


def test_the_download_refuses_a_metadata_service_url_before_any_request(
    topview_simulator: TopviewSimulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    hardening_report: HardeningReport,
) -> None:
    """The connection points at a public-looking host; the task's video points at 169.254.169.254."""
    sim = topview_simulator
    connection = {"conn_type": "topview", "login": sim.uid, "password": sim.api_key, "host": sim.base_url}
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))
    hook = fast_hook()
    task = finished_task(sim, hook, count=1)
    hook.base_url = "https://api.topview.ai"  # as if the connection were TopView's
    metadata = task.videos[0].model_copy(update={"file_path": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(TopviewError, match=r"refusing to download a video from 169\.254\.169\.254"):
        hook.download_videos(task.model_copy(update={"videos": [metadata]}), str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    hardening_report.note(
        "secrets #14 video hosts",
        "secrets round 3 #14: a video URL on 169.254.169.254 refused before any request; no TopView "
        "headers on downloads",
    )


def test_video_downloads_never_carry_topview_headers(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    sim, hook = topview_connection, fast_hook()
    task = finished_task(sim, hook, count=1)
    hook.download_videos(task, str(tmp_path))
    [download] = sim.requests_to("download")
    assert "Authorization" not in download.headers
    assert "Topview-Uid" not in download.headers
