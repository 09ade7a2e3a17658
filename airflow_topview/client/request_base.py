"""What every TopView submit body shares: the common fields, their rules, and the camelCase JSON out.

A task type's request (Image-to-Video, Text-to-Video, Omni Reference) subclasses :class:`SubmitRequest`
and adds its own fields; values that templates render as text are coerced the same way for all of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import (
    AliasGenerator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from airflow_topview.client import input_rules as rules
from airflow_topview.client.input_rules import describe_validation_error
from airflow_topview.exceptions import RequestValidationError

_ASPECT_RATIO = re.compile(r"[1-9]\d?:[1-9]\d?")
#: Runaway guards (a template rendering a timestamp, say): above any video TopView makes.
MAX_RESOLUTION = 8640
MAX_DURATION = 600
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*")

RequestT = TypeVar("RequestT", bound="SubmitRequest")


def whole_number(value: Any) -> Any:
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


def on_off(value: Any) -> Any:
    """``on``/``off`` in any case, booleans, and their text renderings (``"True"``, ``"false"``)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        word = value.strip().lower()
        return {"true": "on", "false": "off"}.get(word, word)
    return value


class SubmitRequest(BaseModel):
    """A submit body, validated before anything is sent: snake_case in (errors name the operator
    parameter), camelCase out, unset fields left out (TopView's own client never sends nulls)."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(serialization_alias=to_camel),
        extra="forbid",
        frozen=True,
    )

    #: Fields holding text that must not be blank.
    text_fields: ClassVar[tuple[str, ...]] = ("model", "prompt", "aspect_ratio", "board_id", "notice_url")

    model: str
    prompt: str | None = None
    aspect_ratio: str | None = None
    resolution: int | None = Field(default=None, gt=0, le=MAX_RESOLUTION)
    duration: int | None = Field(default=None, gt=0, le=MAX_DURATION)
    generating_count: int | None = Field(default=None, ge=1, le=4)
    board_id: str | None = None
    notice_url: str | None = None
    extra_body: dict[str, Any] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_blank_text(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.text_fields and isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if value.strip() == "None":
            raise ValueError("must be a model name, got the text 'None' (a template of a missing value?)")
        return rules.check_line(value, "a model name")

    @field_validator("board_id")
    @classmethod
    def _board_token(cls, value: str | None) -> str | None:
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
        return whole_number(value)

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
    def _extra_body_adds_only(self) -> SubmitRequest:
        for key in self.extra_body or ():
            for name in type(self).model_fields:
                if name != "extra_body" and key in (name, to_camel(name)):
                    raise ValueError(
                        f"extra_body: {key!r} would override the known field {to_camel(name)!r}; "
                        f"set it with the {name} parameter instead"
                    )
        return self

    def to_body(self) -> dict[str, Any]:
        """The JSON body TopView expects: camelCase names, unset fields left out, ``extra_body`` merged in."""
        body = self.model_dump(by_alias=True, exclude_none=True, exclude={"extra_body"})
        return {**body, **(self.extra_body or {})}

    def file_ids(self) -> list[str]:
        """The uploaded files the task reads (lineage inputs); none unless the task type takes files."""
        return []


def is_unset(name: str, value: Any) -> bool:
    """None, or the text ``"None"`` that a template renders for a missing value (``model`` excepted)."""
    return value is None or (name != "model" and isinstance(value, str) and value.strip() == "None")


def validate_request(model: type[RequestT], params: Mapping[str, Any], label: str) -> RequestT:
    """Validate operator parameters into ``model``, or raise a readable error naming each parameter.

    A parameter that is None, or that a template rendered to the text ``"None"`` (what Jinja makes of a
    missing value without ``render_template_as_native_obj``), is not sent.
    """
    given = {name: value for name, value in params.items() if not is_unset(name, value)}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise RequestValidationError(describe_validation_error(exc, label)) from None
