"""Auth: every API endpoint wants both TopView headers; failures are HTTP 200 with envelope code "401"."""

from __future__ import annotations

import pytest

from airflow_topview.client.task_types import OMNI_REFERENCE, TEXT_TO_VIDEO

from .conftest import KEY, SUBMIT, UID, Api

BAD_HEADERS = {
    "no-headers": {},
    "missing-uid": {"Authorization": f"Bearer {KEY}"},
    "wrong-uid": {"Topview-Uid": "someone-else", "Authorization": f"Bearer {KEY}"},
    "missing-authorization": {"Topview-Uid": UID},
    "wrong-key": {"Topview-Uid": UID, "Authorization": "Bearer sk-wrong"},
    "missing-bearer": {"Topview-Uid": UID, "Authorization": KEY},
    "basic-scheme": {"Topview-Uid": UID, "Authorization": f"Basic {KEY}"},
    "empty-bearer": {"Topview-Uid": UID, "Authorization": "Bearer "},
}

ENDPOINTS = [
    ("credit", "GET", "/user/credit/detail", {}),
    ("query", "GET", "/v2/common_task/image2video/task/query", {"taskId": "0" * 32}),
    ("credential", "GET", "/v1/upload/credential", {"format": "png"}),
    ("check", "GET", "/v1/upload/check", {"fileId": "x"}),
    ("notice_check", "POST", "/notice/notice_url/check", {"noticeUrl": "https://example.com"}),
    ("submit", "POST", SUBMIT, {}),
    ("text2video_submit", "POST", TEXT_TO_VIDEO.submit_path, {}),
    ("text2video_query", "GET", TEXT_TO_VIDEO.query_path, {"taskId": "0" * 32}),
    ("omni_reference_submit", "POST", OMNI_REFERENCE.submit_path, {}),
    ("omni_reference_query", "GET", OMNI_REFERENCE.query_path, {"taskId": "0" * 32}),
]


@pytest.mark.parametrize("headers", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
@pytest.mark.parametrize(("endpoint", "method", "path", "params"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_bad_credentials_get_code_401(
    api: Api, headers: dict[str, str], endpoint: str, method: str, path: str, params: dict[str, str]
) -> None:
    if method == "GET":
        resp = api.get(path, headers=headers, **params)
    else:
        resp = api.post(
            path, {"model": "kling-v3", "firstFrameFileId": api.sim.add_file()}, headers, **params
        )
    assert resp.status_code == 200
    payload = resp.json()
    assert payload["code"] == "401"
    assert isinstance(payload["code"], str)
    assert payload["message"].startswith("Unauthorized")
    assert KEY not in payload["message"]
    assert payload["result"] is None
    entry = api.sim.requests_to(endpoint)[-1]
    assert (entry.status, entry.code) == (200, "401")
    assert api.sim.tasks == {}


def test_good_credentials_pass(api: Api) -> None:
    payload = api.get("/user/credit/detail").json()
    assert payload["code"] == "200"
    assert payload["result"]["remainCredit"] == 10000.0


def test_simulator_repr_does_not_show_the_key(api: Api) -> None:
    assert KEY not in repr(api.sim)
    assert api.sim.base_url in repr(api.sim)
