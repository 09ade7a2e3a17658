"""Task types are declarations: one for Image-to-Video today, looked up by the key a trigger stores."""

from __future__ import annotations

import pytest

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TASK_TYPES, task_type_of
from airflow_topview.exceptions import RequestValidationError
from airflow_topview.triggers.image_to_video import ImageToVideoTrigger


def test_image_to_video_is_declared_with_its_endpoints() -> None:
    assert task_type_of("image2video") is IMAGE_TO_VIDEO
    assert IMAGE_TO_VIDEO.submit_path == "/v2/common_task/image2video/task/submit"
    assert IMAGE_TO_VIDEO.query_path == "/v2/common_task/image2video/task/query"
    assert list(TASK_TYPES) == ["image2video"]


@pytest.mark.parametrize("key", ["text-to-video", None, ""])
def test_an_unknown_task_type_names_the_known_ones(key: object) -> None:
    with pytest.raises(RequestValidationError, match=r"task_type: must be one of image2video, got"):
        task_type_of(key)  # type: ignore[arg-type]


def test_a_trigger_stores_its_task_type_and_one_stored_without_it_waits_for_image_to_video() -> None:
    _, kwargs = ImageToVideoTrigger("t1", end_time=None, timeout=60).serialize()
    assert kwargs["task_type"] == "image2video"
    older = {key: value for key, value in kwargs.items() if key != "task_type"}  # an earlier release's row
    assert ImageToVideoTrigger(**older).task_type == "image2video"
