"""Task types are declarations (paths, request builder), looked up by the key a trigger stores."""

from __future__ import annotations

import pytest

from airflow_topview.client.request import ImageToVideoRequest
from airflow_topview.client.request_omni_reference import OmniReferenceRequest
from airflow_topview.client.request_text_to_video import TextToVideoRequest
from airflow_topview.client.task_types import (
    IMAGE_TO_VIDEO,
    OMNI_REFERENCE,
    TASK_TYPES,
    TEXT_TO_VIDEO,
    task_type_of,
)
from airflow_topview.exceptions import RequestValidationError
from airflow_topview.triggers.image_to_video import ImageToVideoTrigger


def test_image_to_video_is_declared_with_its_endpoints() -> None:
    assert task_type_of("image2video") is IMAGE_TO_VIDEO
    assert IMAGE_TO_VIDEO.submit_path == "/v2/common_task/image2video/task/submit"
    assert IMAGE_TO_VIDEO.query_path == "/v2/common_task/image2video/task/query"
    assert list(TASK_TYPES) == ["image2video", "text2video", "omni_reference"]


def test_each_task_type_has_topviews_endpoints_and_its_own_request() -> None:
    assert TEXT_TO_VIDEO.submit_path == "/v1/common_task/text2video/task/submit"
    assert TEXT_TO_VIDEO.query_path == "/v1/common_task/text2video/task/query"
    assert OMNI_REFERENCE.submit_path == "/v1/common_task/omni_reference/task/submit"
    assert OMNI_REFERENCE.query_path == "/v1/common_task/omni_reference/task/query"
    built = {
        IMAGE_TO_VIDEO: IMAGE_TO_VIDEO.build_request({"first_frame_file_id": "f1"}),
        TEXT_TO_VIDEO: TEXT_TO_VIDEO.build_request({"prompt": "a fox"}),
        OMNI_REFERENCE: OMNI_REFERENCE.build_request({"prompt": "a fox"}),
    }
    assert isinstance(built[IMAGE_TO_VIDEO], ImageToVideoRequest)
    assert isinstance(built[TEXT_TO_VIDEO], TextToVideoRequest)
    assert isinstance(built[OMNI_REFERENCE], OmniReferenceRequest)
    assert built[TEXT_TO_VIDEO].to_body() == {"model": "Standard", "prompt": "a fox"}


@pytest.mark.parametrize("key", ["text-to-video", None, ""])
def test_an_unknown_task_type_names_the_known_ones(key: object) -> None:
    with pytest.raises(
        RequestValidationError,
        match=r"task_type: must be one of image2video, text2video, omni_reference, got",
    ):
        task_type_of(key)  # type: ignore[arg-type]


def test_a_trigger_stores_its_task_type_and_one_stored_without_it_waits_for_image_to_video() -> None:
    _, kwargs = ImageToVideoTrigger("t1", end_time=None, timeout=60).serialize()
    assert kwargs["task_type"] == "image2video"
    older = {key: value for key, value in kwargs.items() if key != "task_type"}  # an earlier release's row
    assert ImageToVideoTrigger(**older).task_type == "image2video"
