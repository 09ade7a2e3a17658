"""Capability checks: what a known model would reject (code 4000) or mishandle, caught before a paid call.

Requests of every task type are read the same way (``getattr`` with None for a field the request does not
have): the shared rules (prompt, resolution, duration, aspect ratio, sound) apply to all; input modes to
Image-to-Video; internet search and video editing to Omni Reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_topview.catalog._names import join_or

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import ModelSpec

IMAGE_TO_VIDEO_KEY = "image2video"
OMNI_REFERENCE_KEY = "omni_reference"

_MODE_WORDS = {
    "single": "single-image mode",
    "first_end": "first/end-frame mode",
    "multi_ref": "multi-reference mode",
}


def field(request: object, name: str) -> Any:
    """A request's field, or None when its task type has no such field."""
    return getattr(request, name, None)


def _mode_problems(request: object, spec: ModelSpec) -> list[str]:
    if spec.input_mode is None:  # pragma: no cover - every image2video entry has one (validated)
        return []
    label, mode = spec.label, _MODE_WORDS[spec.input_mode]
    first = field(request, "first_frame_file_id")
    end = field(request, "end_frame_file_id")
    refs = field(request, "reference_image_file_ids")
    problems: list[str] = []
    if spec.input_mode == "multi_ref":
        if not refs:
            problems.append(
                f"reference_image_file_ids: {label} needs 2 or more reference images ({mode}); "
                "set reference_image_file_ids"
            )
        for param, value in (("first_frame_file_id", first), ("end_frame_file_id", end)):
            if value:
                problems.append(f"{param}: {label} takes reference images only ({mode}); leave {param} unset")
        return problems
    if not first:
        problems.append(f"first_frame_file_id: {label} needs first_frame_file_id ({mode})")
    if spec.input_mode == "single" and end:
        problems.append(
            f"end_frame_file_id: {label} animates one image, first_frame_file_id ({mode}); "
            "leave end_frame_file_id unset"
        )
    if refs:
        takes = "one image" if spec.input_mode == "single" else "a first frame and an optional end frame"
        problems.append(
            f"reference_image_file_ids: {label} takes {takes}, not reference images ({mode}); "
            "leave reference_image_file_ids unset"
        )
    return problems


def _omni_problems(request: object, spec: ModelSpec) -> list[str]:
    label = spec.label
    problems: list[str] = []
    if spec.video_edit and not field(request, "input_videos"):
        problems.append(
            f"input_videos: {label} edits a video (video-edit model); give the video to edit in input_videos"
        )
    if field(request, "internet_search") is True and not spec.internet_search:
        problems.append(
            f"internet_search: {label} takes no internet search (only models like Standard and Fast do); "
            "leave internet_search unset or False"
        )
    return problems


def _aspect_ratio_problem(ratio: str, spec: ModelSpec) -> str | None:
    label = spec.label
    if spec.aspect_ratios is None:
        if spec.task_type != IMAGE_TO_VIDEO_KEY:
            return f"aspect_ratio: {label} takes no aspect_ratio; leave aspect_ratio unset"
        shape_from = "reference images" if spec.input_mode == "multi_ref" else "first frame"
        return f"aspect_ratio: {label} takes the shape from the {shape_from}; leave aspect_ratio unset"
    if ratio not in spec.aspect_ratios:
        return f"aspect_ratio: {label} takes {join_or(spec.aspect_ratios)}, got {ratio}"
    return None


def check_request(request: object, spec: ModelSpec | None) -> list[str]:
    """Every way ``request`` breaks what ``spec`` allows; ``[]`` when it fits or the model is unknown.

    ``request`` is a request of ``spec``'s task type (Image-to-Video, Text-to-Video or Omni Reference). One
    line per broken rule, starting with the operator parameter and naming the model and the allowed values.
    Parameters left unset (None) are never violations: TopView picks its defaults.
    """
    if spec is None:
        return []
    label = spec.label
    problems: list[str] = []
    if spec.task_type == IMAGE_TO_VIDEO_KEY:
        problems.extend(_mode_problems(request, spec))
    elif spec.task_type == OMNI_REFERENCE_KEY:
        problems.extend(_omni_problems(request, spec))

    if spec.prompt_required and not (field(request, "prompt") or "").strip():
        why = (
            'TopView fails its tasks without one: "Prompt is required"'
            if spec.task_type == IMAGE_TO_VIDEO_KEY
            else "TopView's own client never submits one without it"
        )
        problems.append(f"prompt: {label} needs a prompt ({why}); set prompt")

    resolution = field(request, "resolution")
    if resolution is not None and spec.resolutions is not None and resolution not in spec.resolutions:
        problems.append(f"resolution: {label} takes {join_or(spec.resolutions)}, got {resolution}")

    duration = field(request, "duration")
    if duration is not None and spec.durations is not None and not spec.durations.allows(duration):
        problems.append(f"duration: {label} takes {spec.durations.describe()}, got {duration}")

    ratio = field(request, "aspect_ratio")
    if ratio is not None and (problem := _aspect_ratio_problem(ratio, spec)) is not None:
        problems.append(problem)

    if field(request, "sound") == "on" and not spec.native_audio:
        problems.append(f"sound: {label} has no native audio; leave sound unset or 'off'")
    return problems
