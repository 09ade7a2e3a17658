"""Submit-body rules of Text-to-Video and Omni Reference, as strict as TopView, and which rules each task
type's submit follows (:data:`VALIDATORS`).

Like Image-to-Video's (:mod:`.validation`), every error names the JSON field first, types are checked
before required fields (4000 before 4003), and fields a task type does not know are kept, not refused:
TopView's answer to an unknown field is not known, and an MCP-era field sent to the REST omni submit met a
resolution error, not an unknown-field one. Whether TopView takes the ``model`` is the state's check.

Text-to-Video: ``model`` and ``prompt`` required (4003); ``aspectRatio``, ``sound``, ``boardId`` and
``noticeUrl`` strings; ``resolution``, ``duration`` and ``generatingCount`` integers; ``generatingCount``
1-4; ``sound`` on or off.

Omni Reference: the same, plus ``inputImages`` (at most 9) and ``inputVideos`` (at most 3): lists of
``{"fileId": str, "name": str}`` objects and nothing else; a name is used once across both lists; every
``<<<Name>>>`` in the prompt names an input; ``internetSearch`` a boolean. That every ``fileId`` was uploaded
is the state's check (4004, as for Image-to-Video). [guess] TopView's answers to a duplicate name and to a
``<<<Name>>>`` naming no input are unknown (TopView's docs call such prompts ambiguous): the simulator
refuses both with 4000, before anything is created, so clients meet the strict answer; names match
exactly, case included [guess]. The limits of 9 images and 3 videos are seen in third-party clients, not
documented.

[guess] An unset ``resolution``, ``duration`` or ``sound`` defaults as for Image-to-Video (720, 5 s, off):
TopView's defaults for these task types are not documented; they shape only the simulated videos and cost.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO
from airflow_topview.testing.validation import (
    ApiError,
    OmniInput,
    SubmitRequest,
    check_types,
    common_fields,
    required_text,
    validate_submit,
    video_settings,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_STRING_FIELDS = ("model", "prompt", "aspectRatio", "sound", "boardId", "noticeUrl")
_INT_FIELDS = ("resolution", "duration", "generatingCount")
#: How many inputs of each kind an Omni Reference task takes [seen].
MAX_INPUT_IMAGES = 9
MAX_INPUT_VIDEOS = 3
_INPUT_KEYS = ("fileId", "name")
_INPUT_SHAPE = 'objects {"fileId": <string>, "name": <string>}'
#: How an Omni Reference prompt names an input: ``<<<Image1>>>``.
PROMPT_REFERENCE = re.compile(r"<<<(.*?)>>>", re.DOTALL)


def _body(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError("4000", "body: must be a JSON object")
    check_types(body, _STRING_FIELDS, _INT_FIELDS)
    return body


def validate_text2video(body: object) -> SubmitRequest:
    """Check a parsed Text-to-Video submit body: :class:`ApiError` with TopView's code on the first broken
    rule."""
    checked = _body(body)
    model = required_text(checked, "model")
    required_text(checked, "prompt")
    fields = common_fields(checked, model, video_settings(checked))
    return SubmitRequest(**fields, task_type=TEXT_TO_VIDEO.key)


def _input_list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError("4000", f"{name}: must be a list of {_INPUT_SHAPE}")
    return value


def _inputs(items: list[Any], name: str, limit: int, noun: str) -> tuple[OmniInput, ...]:
    if len(items) > limit:
        raise ApiError("4000", f"{name}: at most {limit} {noun}, got {len(items)}")
    found = []
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise ApiError("4000", f"{where}: must be an object {{{', '.join(_INPUT_KEYS)}}}, not {item!r}")
        unknown = sorted(str(key) for key in item if key not in _INPUT_KEYS)
        if unknown:
            raise ApiError("4000", f"{where}: takes only fileId and name, got {', '.join(unknown)}")
        for key in _INPUT_KEYS:
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise ApiError("4000", f"{where}.{key}: must be a string")
            if not (value or "").strip():
                raise ApiError("4003", f"{where}.{key}: required")
        found.append(OmniInput(file_id=item["fileId"], name=item["name"]))
    return tuple(found)


def validate_omni_reference(body: object) -> SubmitRequest:
    """Check a parsed Omni Reference submit body; :class:`ApiError` with TopView's code on the first broken
    rule (the module docstring lists them)."""
    checked = _body(body)
    image_items = _input_list(checked, "inputImages")
    video_items = _input_list(checked, "inputVideos")
    search = checked.get("internetSearch")
    if search is not None and not isinstance(search, bool):
        raise ApiError("4000", "internetSearch: must be a boolean")
    model = required_text(checked, "model")
    prompt = required_text(checked, "prompt")
    images = _inputs(image_items, "inputImages", MAX_INPUT_IMAGES, "images")
    videos = _inputs(video_items, "inputVideos", MAX_INPUT_VIDEOS, "videos")
    names: set[str] = set()
    for field, inputs in (("inputImages", images), ("inputVideos", videos)):
        for index, item in enumerate(inputs):
            if item.name in names:
                raise ApiError("4000", f"{field}[{index}].name: {item.name!r} names another input already")
            names.add(item.name)
    for reference in PROMPT_REFERENCE.findall(prompt):
        if reference not in names:
            raise ApiError("4000", f"prompt: <<<{reference}>>> names no input of inputImages or inputVideos")
    return SubmitRequest(
        **common_fields(checked, model, video_settings(checked)),
        task_type=OMNI_REFERENCE.key,
        input_images=images,
        input_videos=videos,
        internet_search=bool(search),
    )


#: The submit rules of each task type, by key.
VALIDATORS: dict[str, Callable[[object], SubmitRequest]] = {
    IMAGE_TO_VIDEO.key: validate_submit,
    TEXT_TO_VIDEO.key: validate_text2video,
    OMNI_REFERENCE.key: validate_omni_reference,
}
