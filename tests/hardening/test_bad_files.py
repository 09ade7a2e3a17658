"""Hostile upload sources, download destinations and storage error bodies.

Sources and destinations are refused before any request; a storage error body (huge, not UTF-8) fails
the transfer once, with a short readable message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import HardeningReport
from tests.hardening.bad_input import expect_rejected

GROUP = "file paths, uploads, downloads"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
TASK = "0" * 32


def upload_source(tmp_path: Path, kind: str) -> str:
    if kind == "directory":
        folder = tmp_path / "frames.png"
        folder.mkdir()
        return str(folder)
    if kind == "empty":
        (tmp_path / "empty.png").write_bytes(b"")
        return str(tmp_path / "empty.png")
    if kind == "unknown-extension":
        (tmp_path / "frame.tiff").write_bytes(PNG)
        return str(tmp_path / "frame.tiff")
    return {
        "missing": str(tmp_path / "missing.png"),
        "ftp-url": "ftp://127.0.0.1:1/frame.png",
        "gopher-url": "gopher://127.0.0.1:1/frame.png",
        "nul-byte": str(tmp_path / "fra\x00me.png"),
        "list": "['a.png', 'b.png']",
    }[kind]


UPLOADS: list[tuple[str, dict[str, Any], str, str]] = [
    ("directory", {}, "source", "frames.png"),
    ("missing", {}, "source", "missing.png"),
    ("empty", {}, "source", "0 bytes"),
    ("unknown-extension", {}, "source", ".tiff"),
    ("ftp-url", {}, "source", "'ftp://127.0.0.1:1/frame.png'"),
    ("gopher-url", {}, "source", "'gopher://127.0.0.1:1/frame.png'"),
    ("nul-byte", {}, "source", "\\x00"),
    ("list", {}, "source", "['a.png', 'b.png']"),
    ("check-timeout-negative", {"upload_check_timeout": -1}, "upload_check_timeout", "-1"),
    ("check-interval-zero", {"upload_check_interval": 0}, "upload_check_interval", "0"),
    ("hook-params-unknown", {"hook_params": {"retries": 3}}, "hook_params", "retries"),
]


@pytest.mark.parametrize(
    ("params", "parameter", "shown"), [c[1:] for c in UPLOADS], ids=[c[0] for c in UPLOADS]
)
def test_hostile_upload_is_refused_before_any_request(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    params: dict[str, Any],
    parameter: str,
    shown: str,
) -> None:
    kind = request.node.callspec.id
    source = (
        str(tmp_path / "frame.png")
        if kind not in {c[0] for c in UPLOADS[:8]}
        else upload_source(tmp_path, kind)
    )
    if kind not in {c[0] for c in UPLOADS[:8]}:
        Path(source).write_bytes(PNG)
    operator = UploadFileOperator(task_id="upload", source=source, **params)
    expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: operator.execute({}),  # type: ignore[arg-type]
        parameter=parameter,
        shown=shown,
    )


DOWNLOADS: list[tuple[str, dict[str, Any], str, str]] = [
    ("destination-is-a-file", {}, "destination", "not-a-folder.mp4"),
    ("template-dotdot", {"filename_template": "../{index}.mp4"}, "filename_template", "'../{index}.mp4'"),
    (
        "template-absolute",
        {"filename_template": "/etc/{index}.mp4"},
        "filename_template",
        "'/etc/{index}.mp4'",
    ),
    ("template-unknown-field", {"filename_template": "{name}.mp4"}, "filename_template", "{name}"),
    ("template-nul", {"filename_template": "{index}\x00.mp4"}, "filename_template", "\\x00"),
    (
        "template-huge-name",
        {"filename_template": "{index:0>300}.mp4"},
        "filename_template",
        "'{index:0>300}.mp4'",
    ),
    ("template-not-text", {"filename_template": 42}, "filename_template", "42"),
    ("hook-params-not-dict", {"hook_params": [("retry_limit", 1)]}, "hook_params", "list"),
]


@pytest.mark.parametrize(
    ("params", "parameter", "shown"), [c[1:] for c in DOWNLOADS], ids=[c[0] for c in DOWNLOADS]
)
def test_hostile_download_is_refused_before_any_request(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    params: dict[str, Any],
    parameter: str,
    shown: str,
) -> None:
    destination = tmp_path / "videos"
    if request.node.callspec.id == "destination-is-a-file":
        destination = tmp_path / "not-a-folder.mp4"
        destination.write_bytes(b"old")
    operator = DownloadVideosOperator(
        task_id="download", destination=str(destination), topview_task_id=TASK, **params
    )
    expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: operator.execute({}),  # type: ignore[arg-type]
        parameter=parameter,
        shown=shown,
    )


# --- storage error bodies: after a request by nature, so: fail once, short and readable --------------


def finished(sim: TopviewSimulator) -> dict[str, Any]:
    from airflow_topview.client.request import build_request
    from airflow_topview.hooks.topview import TopviewHook

    hook = TopviewHook(retry_delay=0.01)
    task = hook.get_image_to_video_task(
        hook.submit_image_to_video(build_request({"first_frame_file_id": sim.add_file()})).task_id
    )
    return task.to_xcom()


@pytest.mark.parametrize(
    ("body", "readable"),
    [
        (b"<Error><Code>AccessDenied</Code>" + b"x" * 5_000_000 + b"</Error>", "AccessDenied"),
        (b"\xff\xfe<Error><Code>AccessDenied</Code>\x80\x81 caf\xe9</Error>", "AccessDenied"),
    ],
    ids=["huge-body", "non-utf8-body"],
)
def test_storage_error_body_fails_once_with_a_short_message(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    body: bytes,
    readable: str,
) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    sim = topview_connection
    task = finished(sim)
    sim.inject("download", Fault.http(403, body=body, content_type="application/xml"), times=None)
    operator = DownloadVideosOperator(
        task_id="download", destination=str(tmp_path), task_result=task, hook_params={"retry_delay": 0.01}
    )
    message = ""
    try:
        operator.execute({})  # type: ignore[arg-type]
    except AirflowFailException as exc:
        message = str(exc)
    downloads = len(sim.requests_to("download"))
    ok = readable in message and len(message) < 600 and downloads == 2 and "sk-test-key" not in message
    hardening_report.note(
        "bad inputs (storage error bodies)",
        "fail once (403, then once more with fresh URLs), short readable message",
    )
    hardening_report.record("bad inputs (storage error bodies)", ok)
    assert readable in message, message[:300]
    assert len(message) < 600
    assert downloads == 2  # the first URL, then once with fresh URLs (a 403 is an expired signature)
