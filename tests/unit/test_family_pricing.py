"""Pricing and what a submit reports, for every task type: stand-in inputs per mode, no extra_body in XCom."""

from __future__ import annotations

import pytest

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO, TaskType
from airflow_topview.exceptions import RequestValidationError, TopviewBudgetError
from airflow_topview.submit.run_budget import price_one


@pytest.mark.parametrize(
    ("task_type", "model", "credits"),
    [
        (IMAGE_TO_VIDEO, "Kling V3 Reference Video", None),  # multi-reference: two stand-in images
        (IMAGE_TO_VIDEO, "Seedance 1.5 Pro", 0.6),  # 0.12 x 5 s at 720p, sound off
        (TEXT_TO_VIDEO, "Kling V3", 2.5),  # 0.5 x 5 s at 720p, sound off
        (OMNI_REFERENCE, "Kling O1 Video-Edit", 8.0),  # video edit: 0.8 x 10 s, the longest input video
    ],
)
def test_settings_are_priced_with_stand_in_inputs_of_the_models_mode(
    task_type: TaskType, model: str, credits: float | None
) -> None:
    resolution = 1080 if model == "Kling O1 Video-Edit" else 720
    settings = {"model": model, "duration": 5, "resolution": resolution}
    estimate = price_one(settings, models_file=None, task_type=task_type)
    assert estimate.credits > 0
    if credits is not None:
        assert estimate.credits == pytest.approx(credits)


def test_a_former_name_is_refused_naming_its_replacement() -> None:
    with pytest.raises(RequestValidationError, match="use 'Gemini Omni Flash'"):
        price_one({"model": "Topview Omni", "duration": 5}, models_file=None, task_type=TEXT_TO_VIDEO)


def test_settings_a_model_refuses_fail_the_budget() -> None:
    with pytest.raises(TopviewBudgetError, match="Invalid Text-to-Video settings: duration"):
        price_one({"model": "Kling 2.6", "duration": 7}, models_file=None, task_type=TEXT_TO_VIDEO)


def test_the_request_xcom_never_copies_extra_body_fields() -> None:
    from airflow_topview.lineage import sent_request

    request = TEXT_TO_VIDEO.build_request(
        {"prompt": "a fox", "extra_body": {"firstFrameFileId": "tok-123", "internetSearch": True}}
    )
    shown = sent_request(request, "t1")
    assert shown == {"topview_task_id": "t1", "model": "Standard", "prompt": "a fox"}


@pytest.mark.parametrize("operator", ["image_to_video", "text_to_video", "omni_reference"])
def test_each_task_types_default_model_is_its_operators(operator: str) -> None:
    import importlib
    import inspect

    module = importlib.import_module(f"airflow_topview.operators.{operator}")
    cls = next(
        value
        for name, value in vars(module).items()
        if name.startswith("Submit") and name.endswith("Operator")
    )
    default = inspect.signature(cls.__init__).parameters["model"].default
    assert default == cls.topview_task_type.default_model
