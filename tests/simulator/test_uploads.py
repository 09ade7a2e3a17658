"""Upload flow: credential -> presigned PUT (no TopView headers) -> check (may lag)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests

from airflow_topview.testing import TopviewSimulator

from .conftest import AUTH, KEY, UID, Api


@pytest.mark.parametrize(
    "fmt", ["png", "jpg", "JPEG", "bmp", "webp", "mp4", "mov", "avi", "mp3", "wav", "m4a"]
)
def test_credential_for_supported_formats(api: Api, fmt: str) -> None:
    payload = api.get("/v1/upload/credential", format=fmt).json()
    assert payload["code"] == "200"
    result = payload["result"]
    assert result["fileName"] == f"{result['fileId']}.{fmt.lower()}"
    assert result["uploadUrl"].startswith(f"{api.sim.base_url}/_upload/{result['fileId']}?")
    assert "X-Amz-Signature=" in result["uploadUrl"]


@pytest.mark.parametrize("fmt", ["gif", "exe", "png2"])
def test_credential_rejects_other_formats_with_4001(api: Api, fmt: str) -> None:
    payload = api.get("/v1/upload/credential", format=fmt).json()
    assert payload["code"] == "4001"
    assert "format" in payload["message"]


def test_credential_without_format_is_4003(api: Api) -> None:
    payload = api.get("/v1/upload/credential").json()
    assert payload["code"] == "4003"
    assert "format" in payload["message"]


def test_upload_then_check(api: Api) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(5000)
    cred = api.get("/v1/upload/credential", format="png").json()["result"]
    assert api.get("/v1/upload/check", fileId=cred["fileId"]).json()["result"] is False  # not yet uploaded
    put = requests.put(cred["uploadUrl"], data=data, timeout=5)
    assert put.status_code == 200
    assert put.content == b""
    assert put.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert api.get("/v1/upload/check", fileId=cred["fileId"]).json() == {
        "code": "200",
        "message": "Success",
        "result": True,
    }
    entry = api.sim.requests_to("upload")[-1]
    assert (entry.method, entry.status, entry.body_size, entry.code) == ("PUT", 200, len(data), None)
    record = api.sim.files[cred["fileId"]]
    assert (record.format, record.uploaded, record.checked) == ("png", True, True)
    assert (record.size, record.sha256) == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {KEY}"}, {"Topview-Uid": UID}, AUTH],
    ids=["authorization", "topview-uid", "both"],
)
def test_upload_with_topview_headers_is_rejected_like_s3(api: Api, headers: dict[str, str]) -> None:
    cred = api.get("/v1/upload/credential", format="png").json()["result"]
    put = requests.put(cred["uploadUrl"], data=b"png", headers=headers, timeout=5)
    assert put.status_code == 403
    assert put.text.startswith("<?xml")
    assert "<Error>" in put.text
    assert api.get("/v1/upload/check", fileId=cred["fileId"]).json()["result"] is False


def test_upload_with_tampered_signature_is_rejected(api: Api) -> None:
    cred = api.get("/v1/upload/credential", format="png").json()["result"]
    url = cred["uploadUrl"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    put = requests.put(url, data=b"png", timeout=5)
    assert put.status_code == 403
    assert "SignatureDoesNotMatch" in put.text


def test_upload_to_unknown_file_id_is_rejected(api: Api) -> None:
    put = requests.put(f"{api.sim.base_url}/_upload/{'a' * 32}?X-Amz-Signature=x", data=b"x", timeout=5)
    assert put.status_code == 403


def test_chunked_upload_streams_without_content_length(api: Api) -> None:
    chunk = bytes(range(256)) * 4096  # 1 MiB
    count = 24
    digest = hashlib.sha256()
    for _ in range(count):
        digest.update(chunk)

    def body() -> Iterator[bytes]:
        for _ in range(count):
            yield chunk

    cred = api.get("/v1/upload/credential", format="mp4").json()["result"]
    put = requests.put(cred["uploadUrl"], data=body(), timeout=30)
    assert put.status_code == 200
    entry = api.sim.requests_to("upload")[-1]
    assert entry.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in entry.headers
    assert entry.body_size == count * len(chunk)
    assert put.headers["ETag"] == f'"{digest.hexdigest()}"'
    assert api.sim.files[cred["fileId"]].sha256 == digest.hexdigest()
    assert api.get("/v1/upload/check", fileId=cred["fileId"]).json()["result"] is True


@pytest.mark.parametrize("lag", [1, 3])
def test_check_lags_behind_the_upload(api: Api, lag: int) -> None:
    api.sim.upload_check_lag = lag
    file_id = api.upload("jpg", b"jpeg")
    answers = [api.get("/v1/upload/check", fileId=file_id).json()["result"] for _ in range(lag + 2)]
    assert answers == [False] * lag + [True, True]


def test_lag_from_constructor() -> None:
    with TopviewSimulator(upload_check_lag=2) as sim:
        api = Api(sim)
        file_id = api.upload("png", b"png")
        answers = [api.get("/v1/upload/check", fileId=file_id).json()["result"] for _ in range(3)]
        assert answers == [False, False, True]


def test_check_of_unknown_file_is_4004(api: Api) -> None:
    payload = api.get("/v1/upload/check", fileId="nope").json()
    assert payload["code"] == "4004"
    assert "fileId" in payload["message"]


def test_check_without_file_id_is_4003(api: Api) -> None:
    assert api.get("/v1/upload/check").json()["code"] == "4003"


def test_add_file_is_ready_for_submit(api: Api) -> None:
    file_id = api.sim.add_file("webp")
    assert api.get("/v1/upload/check", fileId=file_id).json()["result"] is True
    assert api.submit({"model": "kling-v3", "firstFrameFileId": file_id})["code"] == "200"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://example.com/hook", "200"),
        ("http://127.0.0.1:9/cb", "200"),
        ("ftp://example.com", "4000"),
        ("not a url", "4000"),
        ("https://", "4000"),
    ],
)
def test_notice_url_check(api: Api, url: str, code: str) -> None:
    payload = api.post("/notice/notice_url/check", noticeUrl=url).json()
    assert payload["code"] == code
    if code == "200":
        assert payload["result"] is True
    else:
        assert "noticeUrl" in payload["message"]


def test_notice_url_check_without_url_is_4003(api: Api) -> None:
    payload = api.post("/notice/notice_url/check").json()
    assert payload["code"] == "4003"
    assert "noticeUrl" in payload["message"]
