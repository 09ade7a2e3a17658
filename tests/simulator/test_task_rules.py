"""Text-to-Video and Omni Reference submit rules: each broken rule answers TopView's code, names the JSON
field first, creates nothing and shows in the journal."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.client.task_types import OMNI_REFERENCE, TEXT_TO_VIDEO, TaskType
from airflow_topview.testing import TopviewSimulator

from .conftest import AUTH, Api
from .family import FAMILY, assert_refused, body_for, image, video

# (id, fields laid over a good body (None removes one), code, field named first)
SHARED_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("model-missing", {"model": None}, "4003", "model"),
    ("model-empty", {"model": ""}, "4003", "model"),
    ("model-blank", {"model": "   "}, "4003", "model"),
    ("model-not-string", {"model": 3}, "4000", "model"),
    ("prompt-missing", {"prompt": None}, "4003", "prompt"),
    ("prompt-empty", {"prompt": ""}, "4003", "prompt"),
    ("prompt-blank", {"prompt": " \n "}, "4003", "prompt"),
    ("prompt-not-string", {"prompt": ["a cat"]}, "4000", "prompt"),
    ("aspect-ratio-not-string", {"aspectRatio": 1.77}, "4000", "aspectRatio"),
    ("resolution-text", {"resolution": "720"}, "4000", "resolution"),
    ("resolution-bool", {"resolution": True}, "4000", "resolution"),
    ("resolution-zero", {"resolution": 0}, "4000", "resolution"),
    ("duration-float", {"duration": 5.5}, "4000", "duration"),
    ("duration-negative", {"duration": -1}, "4000", "duration"),
    ("count-zero", {"generatingCount": 0}, "4000", "generatingCount"),
    ("count-five", {"generatingCount": 5}, "4000", "generatingCount"),
    ("count-text", {"generatingCount": "2"}, "4000", "generatingCount"),
    ("count-bool", {"generatingCount": True}, "4000", "generatingCount"),
    ("sound-yes", {"sound": "yes"}, "4000", "sound"),
    ("sound-upper", {"sound": "ON"}, "4000", "sound"),
    ("sound-bool", {"sound": True}, "4000", "sound"),
    ("board-not-string", {"boardId": 7}, "4000", "boardId"),
    ("notice-url-not-string", {"noticeUrl": ["https://example.com"]}, "4000", "noticeUrl"),
]


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
@pytest.mark.parametrize(
    ("fields", "code", "field"), [c[1:] for c in SHARED_CASES], ids=[c[0] for c in SHARED_CASES]
)
def test_shared_rules(api: Api, task_type: TaskType, fields: dict[str, Any], code: str, field: str) -> None:
    body = body_for(api.sim, task_type)
    body.update(fields)
    body = {name: value for name, value in body.items() if value is not None}
    assert_refused(api, task_type, body, code, field)


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
@pytest.mark.parametrize("body", [[], "text", 3, None], ids=["list", "string", "number", "null"])
def test_a_body_that_is_not_an_object(api: Api, task_type: TaskType, body: Any) -> None:
    assert_refused(api, task_type, body, "4000", "body")


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
def test_a_body_that_is_not_json(api: Api, task_type: TaskType) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    answer = api.http.post(
        api.url(task_type.submit_path), data=b"{not json", headers=headers, timeout=5
    ).json()
    assert (answer["code"], answer["message"].split(":")[0]) == ("4000", "body")
    assert api.sim.tasks == {}


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
def test_types_are_checked_before_required_fields(api: Api, task_type: TaskType) -> None:
    assert_refused(api, task_type, {"generatingCount": "2"}, "4000", "generatingCount")


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
@pytest.mark.parametrize("count", [1, 4])
def test_generating_count_bounds_are_taken(api: Api, task_type: TaskType, count: int) -> None:
    answer = api.submit(body_for(api.sim, task_type, generatingCount=count, sound="on"), task_type)
    assert answer["code"] == "200", answer


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
def test_unknown_fields_are_kept_not_refused(api: Api, task_type: TaskType) -> None:
    """As on the Image-to-Video path: TopView's answer to an unknown field is not known."""
    body = body_for(api.sim, task_type, omniReferenceTaskType="edit", firstFrameFileId="whatever")
    answer = api.submit(body, task_type)
    assert answer["code"] == "200", answer
    (task,) = api.sim.tasks.values()
    assert task.body == body


# Omni Reference inputs -------------------------------------------------------------------------------


def _omni(sim: TopviewSimulator, **fields: Any) -> dict[str, Any]:
    return body_for(sim, OMNI_REFERENCE, **fields)


def test_omni_inputs_not_a_list(api: Api) -> None:
    body = _omni(api.sim, inputImages={"fileId": api.sim.add_file(), "name": "Image1"})
    assert_refused(api, OMNI_REFERENCE, body, "4000", "inputImages")
    body = _omni(api.sim, inputVideos=api.sim.add_file("mp4"))
    assert_refused(api, OMNI_REFERENCE, body, "4000", "inputVideos")


@pytest.mark.parametrize(
    ("item", "code", "detail"),
    [
        ("<file-id>", "4000", "must be an object"),
        ({"fileId": "<file-id>", "name": "Image1", "url": "https://x/a.png"}, "4000", "url"),
        ({"fileId": "<file-id>", "name": "Image1", "type": "image"}, "4000", "type"),
        ({"name": "Image1"}, "4003", "fileId: required"),
        ({"fileId": "", "name": "Image1"}, "4003", "fileId: required"),
        ({"fileId": 12, "name": "Image1"}, "4000", "fileId: must be a string"),
        ({"fileId": "<file-id>"}, "4003", "name: required"),
        ({"fileId": "<file-id>", "name": "  "}, "4003", "name: required"),
        ({"fileId": "<file-id>", "name": 1}, "4000", "name: must be a string"),
    ],
    ids=[
        "string",
        "url-key",
        "type-key",
        "no-file-id",
        "empty-file-id",
        "file-id-number",
        "no-name",
        "blank-name",
        "name-number",
    ],
)
@pytest.mark.parametrize("field", ["inputImages", "inputVideos"])
def test_omni_input_objects_are_file_id_and_name_only(
    api: Api, field: str, item: Any, code: str, detail: str
) -> None:
    file_id = api.sim.add_file("png" if field == "inputImages" else "mp4")
    if isinstance(item, dict):
        item = {key: (file_id if value == "<file-id>" else value) for key, value in item.items()}
    else:
        item = file_id
    body = _omni(api.sim, **{"prompt": "make it move", "inputImages": None, field: [item]})
    answer = assert_refused(api, OMNI_REFERENCE, body, code, f"{field}[0]")
    assert detail in answer["message"]


def test_omni_takes_nine_images_and_three_videos(api: Api) -> None:
    images = [image(api.sim, f"Image{n}") for n in range(1, 10)]
    videos = [video(api.sim, f"Video{n}") for n in range(1, 4)]
    prompt = " ".join(f"<<<{item['name']}>>>" for item in images + videos)
    answer = api.submit(_omni(api.sim, prompt=prompt, inputImages=images, inputVideos=videos), OMNI_REFERENCE)
    assert answer["code"] == "200", answer
    (task,) = api.sim.tasks.values()
    assert [item.name for item in task.request.input_images] == [f"Image{n}" for n in range(1, 10)]
    assert [item.file_id for item in task.request.input_videos] == [item["fileId"] for item in videos]


def test_omni_refuses_a_tenth_image(api: Api) -> None:
    images = [image(api.sim, f"Image{n}") for n in range(1, 11)]
    answer = assert_refused(api, OMNI_REFERENCE, _omni(api.sim, inputImages=images), "4000", "inputImages")
    assert "at most 9" in answer["message"]


def test_omni_refuses_a_fourth_video(api: Api) -> None:
    videos = [video(api.sim, f"Video{n}") for n in range(1, 5)]
    answer = assert_refused(api, OMNI_REFERENCE, _omni(api.sim, inputVideos=videos), "4000", "inputVideos")
    assert "at most 3" in answer["message"]


def test_omni_input_names_are_unique_within_a_list(api: Api) -> None:
    images = [image(api.sim, "Image1"), image(api.sim, "Image1")]
    answer = assert_refused(api, OMNI_REFERENCE, _omni(api.sim, inputImages=images), "4000", "inputImages[1]")
    assert "'Image1'" in answer["message"]


def test_omni_input_names_are_unique_across_both_lists(api: Api) -> None:
    body = _omni(api.sim, inputVideos=[video(api.sim, "Image1")])
    answer = assert_refused(api, OMNI_REFERENCE, body, "4000", "inputVideos[0]")
    assert "'Image1'" in answer["message"]


@pytest.mark.parametrize(
    ("prompt", "missing"),
    [
        ("<<<Image2>>> flies", "Image2"),
        ("<<<Image1>>> meets <<<Video1>>>", "Video1"),
        ("<<<image1>>> flies", "image1"),  # names are exact
        ("<<<>>> flies", ""),
    ],
)
def test_omni_prompt_names_only_inputs(api: Api, prompt: str, missing: str) -> None:
    answer = assert_refused(api, OMNI_REFERENCE, _omni(api.sim, prompt=prompt), "4000", "prompt")
    assert f"<<<{missing}>>>" in answer["message"]


def test_omni_prompt_naming_inputs_when_there_are_none(api: Api) -> None:
    body = _omni(api.sim, inputImages=None)
    assert_refused(api, OMNI_REFERENCE, body, "4000", "prompt")


def test_omni_without_inputs_and_with_unnamed_inputs_is_taken(api: Api) -> None:
    """TopView's client requires no input, nor a prompt naming every input."""
    assert api.submit(_omni(api.sim, prompt="a calm sea", inputImages=None), OMNI_REFERENCE)["code"] == "200"
    body = _omni(api.sim, inputVideos=[video(api.sim)])  # Video1 not named by the prompt
    assert api.submit(body, OMNI_REFERENCE)["code"] == "200"


@pytest.mark.parametrize("value", ["true", 1, 0, "yes", [True]])
def test_omni_internet_search_is_a_boolean(api: Api, value: Any) -> None:
    assert_refused(api, OMNI_REFERENCE, _omni(api.sim, internetSearch=value), "4000", "internetSearch")


@pytest.mark.parametrize("value", [True, False])
def test_omni_internet_search_booleans_are_taken(api: Api, value: bool) -> None:
    assert api.submit(_omni(api.sim, internetSearch=value), OMNI_REFERENCE)["code"] == "200"
    (task,) = api.sim.tasks.values()
    assert task.request.internet_search is value


def test_omni_file_ids_must_be_uploaded(api: Api) -> None:
    unknown = [{"fileId": "0" * 32, "name": "Image1"}]
    answer = assert_refused(
        api, OMNI_REFERENCE, _omni(api.sim, inputImages=unknown), "4004", "inputImages[0]"
    )
    assert "0" * 32 in answer["message"]
    pending = api.get("/v1/upload/credential", format="mp4").json()["result"]["fileId"]  # never uploaded
    body = _omni(api.sim, inputVideos=[{"fileId": pending, "name": "Video1"}])
    assert_refused(api, OMNI_REFERENCE, body, "4004", "inputVideos[0]")


def test_omni_takes_an_uploaded_file(api: Api) -> None:
    file_id = api.upload("mp4", b"\x00\x00\x00\x18ftypmp42")
    api.get("/v1/upload/check", fileId=file_id)
    body = _omni(api.sim, inputVideos=[{"fileId": file_id, "name": "Video1"}])
    assert api.submit(body, OMNI_REFERENCE)["code"] == "200"


def test_text2video_does_not_read_omni_inputs(api: Api) -> None:
    """Inputs are Omni Reference's: on Text-to-Video they are unknown fields, kept and never checked."""
    body = body_for(api.sim, TEXT_TO_VIDEO, inputImages=[{"fileId": "0" * 32, "name": "X"}])
    assert api.submit(body, TEXT_TO_VIDEO)["code"] == "200"
