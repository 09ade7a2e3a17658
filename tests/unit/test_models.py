"""The submit body model: what reaches the wire, and every rule that stops bad input first."""

from __future__ import annotations

import pytest

from airflow_topview.client.request import (
    ImageToVideoRequest,
    ImageToVideoTask,
    RequestValidationError,
    build_request,
)


def test_body_uses_topview_names_and_leaves_out_unset_fields() -> None:
    request = build_request(
        {
            "model": "kling-v3",
            "first_frame_file_id": "f1",
            "end_frame_file_id": "f2",
            "prompt": "a fox",
            "aspect_ratio": None,
            "resolution": 1080,
            "duration": 5,
            "sound": "on",
            "generating_count": 2,
            "board_id": "b1",
            "notice_url": "https://example.com/hook",
        }
    )
    assert request.to_body() == {
        "model": "kling-v3",
        "firstFrameFileId": "f1",
        "endFrameFileId": "f2",
        "prompt": "a fox",
        "resolution": 1080,
        "duration": 5,
        "sound": "on",
        "generatingCount": 2,
        "boardId": "b1",
        "noticeUrl": "https://example.com/hook",
    }
    assert request.input_mode == "first_end"


def test_default_model_is_sent() -> None:
    assert build_request({"first_frame_file_id": "f1"}).to_body() == {
        "model": "seedance-1.5-pro",
        "firstFrameFileId": "f1",
    }


@pytest.mark.parametrize(
    ("given", "field", "expected"),
    [
        ({"resolution": "720"}, "resolution", 720),
        ({"resolution": " 1080 "}, "resolution", 1080),
        ({"duration": "5"}, "duration", 5),
        ({"generating_count": "4"}, "generating_count", 4),
        ({"sound": "ON"}, "sound", "on"),
        ({"sound": True}, "sound", "on"),
        ({"sound": False}, "sound", "off"),
    ],
)
def test_template_text_is_coerced(given: dict[str, object], field: str, expected: object) -> None:
    request = build_request({"first_frame_file_id": "f1", **given})
    assert getattr(request, field) == expected


@pytest.mark.parametrize(
    "rendered",
    ['["r1", "r2"]', "['r1', 'r2']", ("r1", "r2"), iter(["r1", "r2"])],
    ids=["json", "python-repr", "tuple", "lazy-sequence"],
)
def test_reference_ids_accept_rendered_lists(rendered: object) -> None:
    request = build_request({"reference_image_file_ids": rendered})
    assert request.to_body()["referenceImageFileIds"] == ["r1", "r2"]
    assert request.input_mode == "multi_ref"


@pytest.mark.parametrize(
    ("given", "parameter", "rule"),
    [
        ({}, "first_frame_file_id or reference_image_file_ids", "required"),
        ({"end_frame_file_id": "f2"}, "end_frame_file_id", "needs first_frame_file_id"),
        ({"reference_image_file_ids": ["r1"]}, "reference_image_file_ids", "at least 2"),
        ({"reference_image_file_ids": ["r"] * 2}, "reference_image_file_ids", "repeat"),
        (
            {"reference_image_file_ids": [f"r{i}" for i in range(11)]},
            "reference_image_file_ids",
            "at most 10",
        ),
        ({"reference_image_file_ids": "r1,r2"}, "reference_image_file_ids", "list of file ids"),
        ({"reference_image_file_ids": "[broken"}, "reference_image_file_ids", "not a list"),
        ({"reference_image_file_ids": {"a": 1}}, "reference_image_file_ids", "not a mapping"),
        ({"reference_image_file_ids": ["r1", " "]}, "reference_image_file_ids", "empty"),
        (
            {"first_frame_file_id": "r1", "reference_image_file_ids": ["r1", "r2"]},
            "reference_image_file_ids",
            "must not include the first or end frame",
        ),
        ({"first_frame_file_id": ""}, "first_frame_file_id", "must not be empty"),
        ({"first_frame_file_id": "f1", "prompt": "  "}, "prompt", "must not be empty"),
        ({"first_frame_file_id": "f1", "model": ""}, "model", "must not be empty"),
        (
            {"first_frame_file_id": "f1", "generating_count": 0},
            "generating_count",
            "greater than or equal to 1",
        ),
        ({"first_frame_file_id": "f1", "generating_count": 5}, "generating_count", "less than or equal to 4"),
        ({"first_frame_file_id": "f1", "generating_count": "two"}, "generating_count", "whole number"),
        ({"first_frame_file_id": "f1", "resolution": 0}, "resolution", "greater than 0"),
        ({"first_frame_file_id": "f1", "resolution": True}, "resolution", "not a boolean"),
        ({"first_frame_file_id": "f1", "resolution": "720p"}, "resolution", "whole number"),
        ({"first_frame_file_id": "f1", "duration": -5}, "duration", "greater than 0"),
        ({"first_frame_file_id": "f1", "duration": 5.5}, "duration", "valid integer"),
        ({"first_frame_file_id": "f1", "sound": "loud"}, "sound", "'on' or 'off'"),
        ({"first_frame_file_id": "f1", "aspect_ratio": "wide"}, "aspect_ratio", "16:9"),
        ({"first_frame_file_id": "f1", "notice_url": "ftp://x"}, "notice_url", "http(s) URL"),
        ({"first_frame_file_id": 42}, "first_frame_file_id", "valid string"),
        ({"first_frame_file_id": "f1", "colour": "red"}, "colour", "not a parameter"),
    ],
)
def test_bad_input_names_parameter_and_rule(given: dict[str, object], parameter: str, rule: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        build_request(given)
    message = str(raised.value)
    assert parameter in message
    assert rule in message


def test_task_result_reads_camel_case_and_dumps_it_back() -> None:
    task = ImageToVideoTask.model_validate(
        {
            "taskId": "t1",
            "status": "success",
            "costCredit": 1.5,
            "videos": [
                {"filePath": "https://v/0.mp4", "width": 1280, "height": 720, "status": "success"},
                {"filePath": None, "status": "fail", "errorMsg": "blocked"},
            ],
            "somethingNew": 1,
        }
    )
    assert task.state == "success"
    assert [video.error_msg for video in task.failed_videos] == ["blocked"]
    dumped = task.to_xcom()
    assert dumped["taskId"] == "t1"
    assert dumped["videos"][0]["filePath"] == "https://v/0.mp4"
    assert dumped["somethingNew"] == 1


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("init", "pending"),
        ("running", "pending"),
        ("queued", "pending"),
        ("failed", "fail"),
        ("SUCCESS", "success"),
    ],
)
def test_status_spellings_collapse_into_three_states(status: str, state: str) -> None:
    assert ImageToVideoTask(task_id="t", status=status).state == state


def test_request_is_immutable() -> None:
    request = ImageToVideoRequest(first_frame_file_id="f1")
    with pytest.raises(ValueError, match="frozen"):
        request.prompt = "changed"  # type: ignore[misc]


def test_text_none_from_a_template_means_not_set() -> None:
    request = build_request({"first_frame_file_id": "f1", "end_frame_file_id": "None", "duration": " None "})
    assert request.to_body() == {"model": "seedance-1.5-pro", "firstFrameFileId": "f1"}
    with pytest.raises(RequestValidationError, match="model: must be a model name"):
        build_request({"first_frame_file_id": "f1", "model": "None"})


@pytest.mark.parametrize(
    ("given", "field", "sent"),
    [
        ({"sound": "False"}, "sound", "off"),
        ({"sound": "True"}, "sound", "on"),
        ({"sound": "ON"}, "sound", "on"),
        ({"sound": " Off "}, "sound", "off"),
        ({"duration": "5.0"}, "duration", 5),
        ({"resolution": 720.0}, "resolution", 720),
        ({"generating_count": " 2 "}, "generatingCount", 2),
        ({"first_frame_file_id": ["f-9"]}, "firstFrameFileId", "f-9"),
        ({"first_frame_file_id": "['f-9']"}, "firstFrameFileId", "f-9"),
        ({"first_frame_file_id": ("f-9",)}, "firstFrameFileId", "f-9"),
    ],
)
def test_text_renderings_are_coerced_to_what_they_promise(
    given: dict[str, object], field: str, sent: object
) -> None:
    """A boolean or float Param rendered as text, a mapped upload of one image: what a template makes."""
    request = build_request({"first_frame_file_id": "f-1", **given})
    assert request.to_body()[field] == sent
