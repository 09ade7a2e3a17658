"""Submit-body rules: each broken rule answers TopView's code with a message naming the JSON field."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.testing import TopviewSimulator

from .conftest import AUTH, SUBMIT, Api

FIRST = "<first>"
END = "<end>"
REF_A = "<ref-a>"
REF_B = "<ref-b>"


@pytest.fixture
def files(sim: TopviewSimulator) -> dict[str, str]:
    return {name: sim.add_file() for name in (FIRST, END, REF_A, REF_B)}


def _fill(value: Any, files: dict[str, str]) -> Any:
    """Replace placeholders by real file ids."""
    if isinstance(value, list):
        return [_fill(item, files) for item in value]
    return files.get(value, value) if isinstance(value, str) else value


CASES = [
    # (id, body, code, field named in the message)
    ("model-missing", {"firstFrameFileId": FIRST}, "4003", "model"),
    ("model-empty", {"model": "", "firstFrameFileId": FIRST}, "4003", "model"),
    ("model-not-string", {"model": 3, "firstFrameFileId": FIRST}, "4000", "model"),
    ("no-image", {"model": "kling-v3"}, "4003", "firstFrameFileId"),
    (
        "empty-refs-no-first",
        {"model": "kling-v3", "referenceImageFileIds": []},
        "4003",
        "referenceImageFileIds",
    ),
    (
        "end-without-first",
        {"model": "kling-v3", "endFrameFileId": END, "referenceImageFileIds": [REF_A, REF_B]},
        "4000",
        "endFrameFileId",
    ),
    ("one-ref", {"model": "kling-v3", "referenceImageFileIds": [REF_A]}, "4000", "referenceImageFileIds"),
    (
        "ref-is-first",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "referenceImageFileIds": [FIRST, REF_A]},
        "4000",
        "referenceImageFileIds",
    ),
    (
        "ref-is-end",
        {
            "model": "kling-v3",
            "firstFrameFileId": FIRST,
            "endFrameFileId": END,
            "referenceImageFileIds": [REF_A, END],
        },
        "4000",
        "referenceImageFileIds",
    ),
    ("refs-not-list", {"model": "kling-v3", "referenceImageFileIds": REF_A}, "4000", "referenceImageFileIds"),
    (
        "refs-not-strings",
        {"model": "kling-v3", "referenceImageFileIds": [1, 2]},
        "4000",
        "referenceImageFileIds",
    ),
    ("first-not-string", {"model": "kling-v3", "firstFrameFileId": 12}, "4000", "firstFrameFileId"),
    (
        "end-not-string",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "endFrameFileId": ["x"]},
        "4000",
        "endFrameFileId",
    ),
    ("prompt-not-string", {"model": "kling-v3", "firstFrameFileId": FIRST, "prompt": 5}, "4000", "prompt"),
    (
        "aspect-not-string",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "aspectRatio": 1.77},
        "4000",
        "aspectRatio",
    ),
    ("board-not-string", {"model": "kling-v3", "firstFrameFileId": FIRST, "boardId": 7}, "4000", "boardId"),
    (
        "notice-not-string",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "noticeUrl": {}},
        "4000",
        "noticeUrl",
    ),
    ("sound-bool", {"model": "kling-v3", "firstFrameFileId": FIRST, "sound": True}, "4000", "sound"),
    ("sound-bad", {"model": "kling-v3", "firstFrameFileId": FIRST, "sound": "loud"}, "4000", "sound"),
    (
        "resolution-string",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "resolution": "720"},
        "4000",
        "resolution",
    ),
    (
        "resolution-float",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "resolution": 720.5},
        "4000",
        "resolution",
    ),
    (
        "resolution-zero",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "resolution": 0},
        "4000",
        "resolution",
    ),
    ("duration-bool", {"model": "kling-v3", "firstFrameFileId": FIRST, "duration": True}, "4000", "duration"),
    (
        "duration-negative",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "duration": -5},
        "4000",
        "duration",
    ),
    (
        "count-zero",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "generatingCount": 0},
        "4000",
        "generatingCount",
    ),
    (
        "count-five",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "generatingCount": 5},
        "4000",
        "generatingCount",
    ),
    (
        "count-string",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "generatingCount": "2"},
        "4000",
        "generatingCount",
    ),
    ("unknown-first-file", {"model": "kling-v3", "firstFrameFileId": "f" * 32}, "4004", "firstFrameFileId"),
    (
        "unknown-end-file",
        {"model": "kling-v3", "firstFrameFileId": FIRST, "endFrameFileId": "e" * 32},
        "4004",
        "endFrameFileId",
    ),
    (
        "unknown-ref-file",
        {"model": "kling-v3", "referenceImageFileIds": [REF_A, "r" * 32]},
        "4004",
        "referenceImageFileIds",
    ),
]


@pytest.mark.parametrize(("body", "code", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(api: Api, files: dict[str, str], body: dict[str, Any], code: str, field: str) -> None:
    answer = api.post(SUBMIT, {key: _fill(value, files) for key, value in body.items()})
    assert answer.status_code == 200  # business errors come with HTTP 200
    payload = answer.json()
    assert payload["code"] == code
    assert field in payload["message"]
    assert payload["result"] is None
    assert api.sim.tasks == {}


@pytest.mark.parametrize("body", [[1, 2], "text", 42, None])
def test_body_must_be_a_json_object(api: Api, body: Any) -> None:
    payload = api.post(SUBMIT, body).json()
    assert payload["code"] == "4000"
    assert "body" in payload["message"]


def test_body_that_is_not_json(api: Api) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    resp = api.http.post(api.url(SUBMIT), data=b"{not json", headers=headers, timeout=5)
    assert resp.json()["code"] == "4000"
    entry = api.sim.requests_to("submit")[-1]
    assert entry.json is None
    assert entry.body_size == len(b"{not json")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"model": "kling-v3", "firstFrameFileId": FIRST}, id="single"),
        pytest.param({"model": "kling-v3", "firstFrameFileId": FIRST, "endFrameFileId": END}, id="first-end"),
        pytest.param(
            {"model": "Kling V3 Reference Video", "referenceImageFileIds": [REF_A, REF_B]}, id="multi-ref"
        ),
        pytest.param(
            {"model": "Kling V3", "firstFrameFileId": FIRST, "referenceImageFileIds": [REF_A, REF_B]},
            id="first-plus-refs",
        ),
        pytest.param(
            {"model": "kling-v3", "firstFrameFileId": FIRST, "shinyNewField": 1}, id="unknown-field"
        ),
        pytest.param(
            {
                "model": "kling-v3",
                "firstFrameFileId": FIRST,
                "prompt": "a cat",
                "aspectRatio": "9:16",
                "resolution": 1080,
                "duration": 10,
                "sound": "on",
                "generatingCount": 4,
                "boardId": "board",
                "noticeUrl": "https://example.invalid/hook",
            },
            id="every-field",
        ),
        pytest.param({"model": "kling-v3", "firstFrameFileId": FIRST, "prompt": None}, id="null-is-absent"),
    ],
)
def test_valid_bodies_are_accepted(api: Api, files: dict[str, str], body: dict[str, Any]) -> None:
    sent = {key: _fill(value, files) for key, value in body.items()}
    payload = api.post(SUBMIT, sent).json()
    assert payload["code"] == "200", payload
    assert api.sim.tasks[payload["result"]["taskId"]].body == sent


def test_uploaded_but_unchecked_file_is_not_usable(api: Api) -> None:
    cred = api.get("/v1/upload/credential", format="png").json()["result"]
    assert api.http.put(cred["uploadUrl"], data=b"png").status_code == 200
    payload = api.submit({"model": "kling-v3", "firstFrameFileId": cred["fileId"]})
    assert payload["code"] == "4004"
    assert "firstFrameFileId" in payload["message"]
    assert api.get("/v1/upload/check", fileId=cred["fileId"]).json()["result"] is True
    assert api.submit({"model": "kling-v3", "firstFrameFileId": cred["fileId"]})["code"] == "200"
