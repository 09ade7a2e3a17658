"""The Text-to-Video submit body: a prompt and the shape of the clip, no source image.

Fields as TopView's own client sends them (``topviewai/skill`` ``build_t2v_body``): ``model`` and
``prompt`` always, every other field only when set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import field_validator

from airflow_topview.client.request_base import SubmitRequest, on_off, validate_request

if TYPE_CHECKING:
    from collections.abc import Mapping


class TextToVideoRequest(SubmitRequest):
    """The body of ``POST /v1/common_task/text2video/task/submit``; ``prompt`` is required."""

    model: str = "Standard"
    prompt: str
    sound: Literal["on", "off"] | None = None

    @field_validator("sound", mode="before")
    @classmethod
    def _sound_word(cls, value: Any) -> Any:
        return on_off(value)


def build_text_to_video_request(params: Mapping[str, Any]) -> TextToVideoRequest:
    """Validate operator parameters into a Text-to-Video request, or raise a readable error."""
    return validate_request(TextToVideoRequest, params, "Text-to-Video")
