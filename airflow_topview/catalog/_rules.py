"""Capability checks: what a known model would reject (code 4000) or mishandle, caught before a paid call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_topview.catalog._names import join_or

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import ModelSpec
    from airflow_topview.client.request import ImageToVideoRequest

_MODE_WORDS = {
    "single": "single-image mode",
    "first_end": "first/end-frame mode",
    "multi_ref": "multi-reference mode",
}


def _mode_problems(request: ImageToVideoRequest, spec: ModelSpec) -> list[str]:
    label, mode = spec.label, _MODE_WORDS[spec.input_mode]
    first = request.first_frame_file_id
    end = request.end_frame_file_id
    refs = request.reference_image_file_ids
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


def check_request(request: ImageToVideoRequest, spec: ModelSpec | None) -> list[str]:
    """Every way ``request`` breaks what ``spec`` allows; ``[]`` when it fits or the model is unknown.

    One line per broken rule, starting with the operator parameter and naming the model and the allowed
    values. Parameters left unset (None) are never violations: TopView picks its defaults.
    """
    if spec is None:
        return []
    label = spec.label
    problems = _mode_problems(request, spec)

    if spec.prompt_required and not (request.prompt or "").strip():
        problems.append(
            f'prompt: {label} needs a prompt (TopView fails its tasks without one: "Prompt is required"); '
            "set prompt"
        )

    resolution = request.resolution
    if resolution is not None and spec.resolutions is not None and resolution not in spec.resolutions:
        problems.append(f"resolution: {label} takes {join_or(spec.resolutions)}, got {resolution}")

    duration = request.duration
    if duration is not None and spec.durations is not None and not spec.durations.allows(duration):
        problems.append(f"duration: {label} takes {spec.durations.describe()}, got {duration}")

    ratio = request.aspect_ratio
    if ratio is not None:
        if spec.aspect_ratios is None:
            shape_from = "reference images" if spec.input_mode == "multi_ref" else "first frame"
            problems.append(
                f"aspect_ratio: {label} takes the shape from the {shape_from}; leave aspect_ratio unset"
            )
        elif ratio not in spec.aspect_ratios:
            problems.append(f"aspect_ratio: {label} takes {join_or(spec.aspect_ratios)}, got {ratio}")

    if request.sound == "on" and not spec.native_audio:
        problems.append(f"sound: {label} has no native audio; leave sound unset or 'off'")
    return problems
