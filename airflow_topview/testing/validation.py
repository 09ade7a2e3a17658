"""Submit-body rules of Image-to-Video V2, answered the way TopView answers them, and the checks every
task type shares (:mod:`.task_rules` holds Text-to-Video's and Omni Reference's).

Every error names the JSON field first (``"referenceImageFileIds: at least 2 images required"``), so
client tests can check that a bad parameter is reported as that parameter. Whether TopView takes the
``model`` is the state's check (:mod:`.model_names`), since tests can register more names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_RESOLUTION = 720
DEFAULT_DURATION = 5
DEFAULT_SOUND = "off"
DEFAULT_ASPECT_RATIO = "16:9"

_STRING_FIELDS = (
    "model",
    "firstFrameFileId",
    "endFrameFileId",
    "prompt",
    "aspectRatio",
    "sound",
    "boardId",
    "noticeUrl",
)
_INT_FIELDS = ("resolution", "duration", "generatingCount")


class ApiError(Exception):
    """A business error, answered as HTTP 200 with the envelope ``{"code": code, "message": message}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OmniInput(NamedTuple):
    """One entry of Omni Reference's ``inputImages`` / ``inputVideos``: a file and the name the prompt
    calls it by (``<<<name>>>``)."""

    file_id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class SubmitRequest:
    """A submit body that passed validation, with the server-side defaults filled in.

    The fields every task type shares come first; the Image-to-Video and Omni Reference inputs are empty
    for the other task types. ``task_type`` is the key of :mod:`airflow_topview.client.task_types`.
    """

    model: str
    prompt: str | None
    aspect_ratio: str | None
    resolution: int
    duration: int
    sound: str
    generating_count: int
    board_id: str | None
    notice_url: str | None
    task_type: str = "image2video"
    first_frame_file_id: str | None = None
    end_frame_file_id: str | None = None
    reference_image_file_ids: tuple[str, ...] = ()
    input_images: tuple[OmniInput, ...] = ()
    input_videos: tuple[OmniInput, ...] = ()
    internet_search: bool = False
    body: dict[str, Any] = field(default_factory=dict)

    def file_ids(self) -> list[tuple[str, str]]:
        """(JSON field, file id) for every file the task reads."""
        pairs = [("firstFrameFileId", self.first_frame_file_id), ("endFrameFileId", self.end_frame_file_id)]
        found = [(name, value) for name, value in pairs if value]
        found += [("referenceImageFileIds", value) for value in self.reference_image_file_ids]
        for name, inputs in (("inputImages", self.input_images), ("inputVideos", self.input_videos)):
            found += [(f"{name}[{index}].fileId", item.file_id) for index, item in enumerate(inputs)]
        return found


def check_types(body: dict[str, Any], strings: Iterable[str], ints: Iterable[str]) -> None:
    """4000 for a field of the wrong JSON type (null counts as not sent)."""
    for name in strings:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ApiError("4000", f"{name}: must be a string")
    for name in ints:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ApiError("4000", f"{name}: must be an integer")


def required_text(body: dict[str, Any], name: str) -> str:
    """A required string field (4003); null, "" and blanks count as not sent, like the server's checks."""
    value = body.get(name) or ""
    if not value.strip():
        raise ApiError("4003", f"{name}: required")
    return str(value)


class VideoSettings(NamedTuple):
    generating_count: int
    sound: str
    resolution: int
    duration: int


def video_settings(body: dict[str, Any]) -> VideoSettings:
    """``generatingCount`` (1-4), ``sound`` (on/off), ``resolution`` and ``duration`` (positive), with the
    defaults filled in; the types were checked before."""
    count = body.get("generatingCount")
    count = 1 if count is None else count
    if not 1 <= count <= 4:
        raise ApiError("4000", "generatingCount: must be between 1 and 4")
    sound = body.get("sound")
    sound = DEFAULT_SOUND if sound is None else sound
    if sound not in ("on", "off"):
        raise ApiError("4000", "sound: must be 'on' or 'off'")
    resolution = body.get("resolution")
    resolution = DEFAULT_RESOLUTION if resolution is None else resolution
    if resolution <= 0:
        raise ApiError("4000", "resolution: must be a positive integer")
    duration = body.get("duration")
    duration = DEFAULT_DURATION if duration is None else duration
    if duration <= 0:
        raise ApiError("4000", "duration: must be a positive integer")
    return VideoSettings(count, sound, resolution, duration)


def common_fields(body: dict[str, Any], model: str, settings: VideoSettings) -> dict[str, Any]:
    """The :class:`SubmitRequest` fields every task type fills the same way."""
    return {
        "model": model,
        "prompt": body.get("prompt"),
        "aspect_ratio": body.get("aspectRatio") or None,
        "resolution": settings.resolution,
        "duration": settings.duration,
        "sound": settings.sound,
        "generating_count": settings.generating_count,
        "board_id": body.get("boardId") or None,
        "notice_url": body.get("noticeUrl") or None,
        "body": dict(body),
    }


def validate_submit(body: object) -> SubmitRequest:
    """Check a parsed Image-to-Video submit body; raise :class:`ApiError` with TopView's code on the first
    broken rule. Fields it does not know are kept, not refused.

    File existence is not checked here (it needs the simulator's state).
    """
    if not isinstance(body, dict):
        raise ApiError("4000", "body: must be a JSON object")
    check_types(body, _STRING_FIELDS, _INT_FIELDS)
    refs = body.get("referenceImageFileIds")
    if refs is not None and (not isinstance(refs, list) or not all(isinstance(x, str) for x in refs)):
        raise ApiError("4000", "referenceImageFileIds: must be a list of strings")
    model = required_text(body, "model")
    first = body.get("firstFrameFileId") or None
    end = body.get("endFrameFileId") or None
    refs = tuple(body.get("referenceImageFileIds") or ())
    if not first and not refs:
        raise ApiError("4003", "firstFrameFileId or referenceImageFileIds: one of them is required")
    if end and not first:
        raise ApiError("4000", "endFrameFileId: needs firstFrameFileId")
    if refs and len(refs) < 2:
        raise ApiError("4000", "referenceImageFileIds: at least 2 images required")
    if refs and {first, end} & set(refs):
        raise ApiError("4000", "referenceImageFileIds: must not include the first or end frame")
    return SubmitRequest(
        **common_fields(body, model, video_settings(body)),
        first_frame_file_id=first,
        end_frame_file_id=end,
        reference_image_file_ids=refs,
    )
