"""The Image-to-Video V2 submit body: operator parameters in, validated, camelCase JSON out.

Python code speaks snake_case; TopView speaks camelCase. The request validates snake_case input (so error
locations name the operator parameter) and serializes camelCase. What TopView answers is modelled in
:mod:`airflow_topview.client.responses`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import (
    AliasGenerator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from airflow_topview.client import input_rules as rules
from airflow_topview.client.input_rules import describe_validation_error

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
_ASPECT_RATIO = re.compile(r"[1-9]\d?:[1-9]\d?")
#: Runaway guards (a template rendering a timestamp, say): above any video TopView makes.
MAX_RESOLUTION = 8640
MAX_DURATION = 600
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*")

_REQUEST_FIELDS_WITH_STRINGS = (
    "model",
    "first_frame_file_id",
    "end_frame_file_id",
    "prompt",
    "aspect_ratio",
    "board_id",
    "notice_url",
)


class ImageToVideoRequest(BaseModel):
    """The body of ``POST /v2/common_task/image2video/task/submit``, validated before anything is sent.

    Values that templates render as text are coerced (``"720"`` -> 720, ``"['a', 'b']"`` -> list),
    so DAGs work with and without ``render_template_as_native_obj``.
    """

    model_config = ConfigDict(
        alias_generator=AliasGenerator(serialization_alias=to_camel),
        extra="forbid",
        frozen=True,
    )

    model: str = "seedance-1.5-pro"
    first_frame_file_id: str | None = None
    end_frame_file_id: str | None = None
    reference_image_file_ids: list[str] | None = None
    prompt: str | None = None
    aspect_ratio: str | None = None
    resolution: int | None = Field(default=None, gt=0, le=MAX_RESOLUTION)
    duration: int | None = Field(default=None, gt=0, le=MAX_DURATION)
    sound: Literal["on", "off"] | None = None
    generating_count: int | None = Field(default=None, ge=1, le=4)
    board_id: str | None = None
    notice_url: str | None = None
    extra_body: dict[str, Any] | None = None

    @field_validator(*_REQUEST_FIELDS_WITH_STRINGS, mode="before")
    @classmethod
    def _no_blank_strings(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if value.strip() == "None":
            raise ValueError("must be a model name, got the text 'None' (a template of a missing value?)")
        return rules.check_line(value, "a model name")

    @field_validator("first_frame_file_id", "end_frame_file_id", "board_id")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return None if value is None else rules.check_token(value, "one id")

    @field_validator("prompt")
    @classmethod
    def _prompt_text(cls, value: str | None) -> str | None:
        return None if value is None else rules.check_text(value, "a prompt")

    @field_validator("aspect_ratio")
    @classmethod
    def _ratio_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ASPECT_RATIO.fullmatch(value):
            raise ValueError(f"must look like 16:9 (width:height), got {value!r}")
        return value

    @field_validator("notice_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > rules.MAX_URL_CHARS or not _HTTP_URL.fullmatch(value)):
            raise ValueError(
                f"must be an http(s) URL of at most {rules.MAX_URL_CHARS} characters, "
                f"got {rules.shown(value)}"
            )
        return value

    @field_validator("resolution", "duration", "generating_count", mode="before")
    @classmethod
    def _whole_numbers_only(cls, value: Any) -> Any:
        """Whole numbers, also as text; ``"5.0"`` (a float Param rendered as text) is 5."""
        if isinstance(value, bool):
            raise ValueError("must be a whole number, not a boolean")
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit():
                return int(text)
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"must be a whole number, got {value!r}") from None
            if not number.is_integer():
                raise ValueError(f"must be a whole number, got {value!r}")
            return int(number)
        return value

    @field_validator("sound", mode="before")
    @classmethod
    def _sound_word(cls, value: Any) -> Any:
        """``on``/``off`` in any case, booleans, and their text renderings (``"True"``, ``"false"``)."""
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, str):
            word = value.strip().lower()
            return {"true": "on", "false": "off"}.get(word, word)
        return value

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

    @field_validator("extra_body", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        """A dict, or its JSON rendering; every value must survive a JSON round trip (no NaN, no objects)."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    f"must be a dict of extra JSON fields, got text that is not JSON: {value!r}"
                ) from None
        if isinstance(value, Mapping):
            value = dict(value)
        else:
            raise ValueError(f"must be a dict of extra JSON fields, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str) or not key.strip():
                raise ValueError(f"keys must be non-empty field names, got {key!r}")
            rules.check_line(key, "a field name (keys)")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"must hold JSON values only ({exc})") from None
        return value

    @model_validator(mode="after")
    def _extra_body_adds_only(self) -> ImageToVideoRequest:
        for key in self.extra_body or ():
            for name in type(self).model_fields:
                if name != "extra_body" and key in (name, to_camel(name)):
                    raise ValueError(
                        f"extra_body: {key!r} would override the known field {to_camel(name)!r}; "
                        f"set it with the {name} parameter instead"
                    )
        return self

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

    def to_body(self) -> dict[str, Any]:
        """The JSON body TopView expects: camelCase names, unset fields left out, ``extra_body`` merged in."""
        body = self.model_dump(by_alias=True, exclude_none=True, exclude={"extra_body"})
        return {**body, **(self.extra_body or {})}

    @property
    def input_mode(self) -> str:
        """``multi_ref``, ``first_end`` (first frame with a last frame) or ``single``."""
        if self.reference_image_file_ids:
            return "multi_ref"
        return "first_end" if self.end_frame_file_id else "single"


def is_unset(name: str, value: Any) -> bool:
    """None, or the text ``"None"`` that a template renders for a missing value (``model`` excepted)."""
    return value is None or (name != "model" and isinstance(value, str) and value.strip() == "None")


def build_request(params: Mapping[str, Any]) -> ImageToVideoRequest:
    """Validate operator parameters into a request, or raise a readable error.

    A parameter that is None, or that a template rendered to the text ``"None"`` (what Jinja makes of a
    missing value without ``render_template_as_native_obj``), is not sent.
    """
    given = {name: value for name, value in params.items() if not is_unset(name, value)}
    try:
        return ImageToVideoRequest.model_validate(given)
    except ValidationError as exc:
        raise RequestValidationError(describe_validation_error(exc)) from None


__all__ = [
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
