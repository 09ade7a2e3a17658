"""Stand-in inputs for pricing settings before any file exists: a budget or an estimate has no images yet.

No price depends on them; they only make the settings a whole request of the model's input mode, so
the same checks and estimate as a real submit apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import ModelSpec

_STAND_IN = "price-estimate"


def stand_ins(task_type: str, spec: ModelSpec | None) -> dict[str, Any]:
    """Inputs that make settings a whole request of ``spec``'s input mode; no price depends on them."""
    inputs: dict[str, Any] = {"prompt": _STAND_IN}
    if task_type == "image2video":
        if spec is not None and spec.input_mode == "multi_ref":
            inputs["reference_image_file_ids"] = [f"{_STAND_IN}-1", f"{_STAND_IN}-2"]
        else:
            inputs["first_frame_file_id"] = _STAND_IN
    elif spec is not None and spec.video_edit:
        inputs["input_videos"] = [{"file_id": _STAND_IN, "name": "video"}]
    return inputs
