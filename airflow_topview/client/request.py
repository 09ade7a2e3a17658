"""The Image-to-Video V2 submit body: operator parameters in, validated, camelCase JSON out.

Python code speaks snake_case; TopView speaks camelCase. The request validates snake_case input (so error
locations name the operator parameter) and serializes camelCase; the fields every task type shares are
in :mod:`airflow_topview.client.request_base`. What TopView answers is modelled in
:mod:`airflow_topview.client.responses`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from airflow_topview.client import input_rules as rules
from airflow_topview.client.input_rules import describe_validation_error
from airflow_topview.client.request_base import (
    MAX_DURATION,
    MAX_RESOLUTION,
    SubmitRequest,
    is_unset,
    on_off,
    validate_request,
)

# The result models live in client/responses.py; they are importable from here too.
from airflow_topview.client.responses import (
    CreditDetail,
    ImageToVideoTask,
    SubmitResult,
    UploadCredential,
    Video,
    task_from_answer,
)
from airflow_topview.exceptions import RequestValidationError

# A guard against runaway lists (a template rendering a whole table, say); no model takes more.
MAX_REFERENCE_IMAGES = 10


class ImageToVideoRequest(SubmitRequest):
    """The body of ``POST /v2/common_task/image2video/task/submit``, validated before anything is sent.

    Values that templates render as text are coerced (``"720"`` -> 720, ``"['a', 'b']"`` -> list),
    so DAGs work with and without ``render_template_as_native_obj``.
    """

    text_fields: ClassVar[tuple[str, ...]] = (
        *SubmitRequest.text_fields,
        "first_frame_file_id",
        "end_frame_file_id",
    )

    model: str = "seedance-1.5-pro"
    first_frame_file_id: str | None = None
    end_frame_file_id: str | None = None
    reference_image_file_ids: list[str] | None = None
    sound: Literal["on", "off"] | None = None

    @field_validator("first_frame_file_id", "end_frame_file_id")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return None if value is None else rules.check_token(value, "one id")

    @field_validator("sound", mode="before")
    @classmethod
    def _sound_word(cls, value: Any) -> Any:
        return on_off(value)

    @field_validator("first_frame_file_id", "end_frame_file_id", mode="before")
    @classmethod
    def _one_id(cls, value: Any) -> Any:
        """A list holding exactly one id (a mapped upload of one image, or its text rendering) is that id."""
        if isinstance(value, str) and value.strip().startswith("["):
            value = rules.parse_list_literal(value)
        if not isinstance(value, (str, Mapping)) and isinstance(value, Iterable):
            items = list(value)
            if len(items) != 1:
                raise ValueError(f"must be one file id, got a list of {len(items)}")
            return items[0]
        return value

    @field_validator("reference_image_file_ids", mode="before")
    @classmethod
    def _as_list(cls, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, str):
            return rules.parse_list_literal(value)
        if isinstance(value, Mapping):
            raise ValueError("must be a list of file ids, not a mapping")
        if isinstance(value, Iterable):  # tuples, XCom lazy sequences from mapped tasks
            return list(value)
        return value

    @field_validator("reference_image_file_ids")
    @classmethod
    def _reference_ids_rules(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if any(not item.strip() for item in value):
            raise ValueError("must not contain empty file ids")
        for item in value:
            rules.check_token(item, "a list of file ids")
        if len(value) < 2:
            raise ValueError(f"needs at least 2 reference images, got {len(value)}")
        if len(value) > MAX_REFERENCE_IMAGES:
            raise ValueError(f"takes at most {MAX_REFERENCE_IMAGES} reference images, got {len(value)}")
        if len(set(value)) != len(value):
            raise ValueError("must not repeat a file id")
        return value

    @model_validator(mode="after")
    def _input_mode_rules(self) -> ImageToVideoRequest:
        if self.end_frame_file_id and not self.first_frame_file_id:
            raise ValueError("end_frame_file_id needs first_frame_file_id (a last frame without a first one)")
        if not self.first_frame_file_id and not self.reference_image_file_ids:
            raise ValueError("one of first_frame_file_id or reference_image_file_ids is required")
        frames = {self.first_frame_file_id, self.end_frame_file_id} - {None}
        overlap = frames.intersection(self.reference_image_file_ids or ())
        if overlap:
            raise ValueError(
                "reference_image_file_ids must not include the first or end frame "
                f"(both name {', '.join(sorted(str(item) for item in overlap))})"
            )
        return self

    def file_ids(self) -> list[str]:
        """The frames, then the reference images."""
        frames = [self.first_frame_file_id, self.end_frame_file_id]
        return [item for item in (*frames, *(self.reference_image_file_ids or ())) if item]

    @property
    def input_mode(self) -> str:
        """``multi_ref``, ``first_end`` (first frame with a last frame) or ``single``."""
        if self.reference_image_file_ids:
            return "multi_ref"
        return "first_end" if self.end_frame_file_id else "single"


def build_request(params: Mapping[str, Any]) -> ImageToVideoRequest:
    """Validate operator parameters into an Image-to-Video request, or raise a readable error."""
    return validate_request(ImageToVideoRequest, params, "Image-to-Video")


__all__ = [
    "MAX_DURATION",
    "MAX_RESOLUTION",
    "CreditDetail",
    "ImageToVideoRequest",
    "ImageToVideoTask",
    "RequestValidationError",
    "SubmitResult",
    "UploadCredential",
    "Video",
    "build_request",
    "describe_validation_error",
    "is_unset",
    "task_from_answer",
]
