"""Model names per task type: each task type takes its own catalog's submit names, exactly; retired models
and former names are refused with TopView's 4000, nothing created or charged."""

from __future__ import annotations

import pytest

from airflow_topview.catalog import load_catalog
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO, TaskType
from airflow_topview.testing import TopviewSimulator, submit_endpoint

from .conftest import Api
from .family import FAMILY, body_for

REJECTED = {"code": "4000", "message": "Invalid parameter or model", "result": None}
ALL = (IMAGE_TO_VIDEO, TEXT_TO_VIDEO, OMNI_REFERENCE)


def _live(task_type: TaskType) -> list[str]:
    names = {
        name
        for spec in load_catalog(task_type=task_type.key)
        if spec.retired is None
        for name in (spec.submit_name, *spec.submit_aliases)
    }
    return sorted(names)


def _submit(api: Api, task_type: TaskType, model: str) -> dict[str, object]:
    if task_type is IMAGE_TO_VIDEO:
        return api.submit({"model": model, "firstFrameFileId": api.sim.add_file()})
    return api.submit(body_for(api.sim, task_type, model=model), task_type)


def _assert_rejected(api: Api, task_type: TaskType, model: str) -> None:
    assert _submit(api, task_type, model) == REJECTED
    assert api.sim.tasks == {}
    assert api.sim.reserved_credits == 0
    assert api.sim.credits == 10000.0
    entry = api.sim.requests_to(submit_endpoint(task_type))[-1]
    assert (entry.code, entry.json["model"]) == ("4000", model)


@pytest.mark.parametrize(
    ("task_type", "model"),
    [(t, name) for t in FAMILY for name in _live(t)],
    ids=lambda value: value.key if isinstance(value, TaskType) else value,
)
def test_every_live_catalog_name_of_the_task_type_is_taken(api: Api, task_type: TaskType, model: str) -> None:
    answer = _submit(api, task_type, model)
    assert answer["code"] == "200", answer


def test_known_models_per_task_type(sim: TopviewSimulator) -> None:
    assert sim.known_models == sim.known_models_for(IMAGE_TO_VIDEO) == sim.known_models_for("image2video")
    assert sim.known_models_for(TEXT_TO_VIDEO) == frozenset(_live(TEXT_TO_VIDEO))
    assert sim.known_models_for("omni_reference") == frozenset(_live(OMNI_REFERENCE))
    assert {"Standard", "Vidu Q2", "Gemini Omni Flash"} <= sim.known_models_for(TEXT_TO_VIDEO)
    assert {"Kling O3 Video-Edit", "Kling O1 Video-Edit"} <= sim.known_models_for(OMNI_REFERENCE)
    with pytest.raises(ValueError, match="unknown task type"):
        sim.known_models_for("text_to_video")


@pytest.mark.parametrize("task_type", ALL, ids=lambda t: t.key)
@pytest.mark.parametrize("model", ["Sora 2", "Sora 2 Pro", "sora-2"])
def test_retired_models_are_refused(api: Api, task_type: TaskType, model: str) -> None:
    _assert_rejected(api, task_type, model)


@pytest.mark.parametrize("task_type", ALL, ids=lambda t: t.key)
def test_a_former_name_is_refused_and_the_new_one_taken(api: Api, task_type: TaskType) -> None:
    _assert_rejected(api, task_type, "Topview Omni")
    assert _submit(api, task_type, "Gemini Omni Flash")["code"] == "200"


@pytest.mark.parametrize(
    ("task_type", "model"),
    [
        (TEXT_TO_VIDEO, "Kling V3 Reference Video"),  # Image-to-Video only
        (TEXT_TO_VIDEO, "MiniMax-Hailuo-2.3-Fast"),
        (TEXT_TO_VIDEO, "Kling O3 Video-Edit"),  # Omni Reference only
        (TEXT_TO_VIDEO, "standard"),  # exact spelling
        (TEXT_TO_VIDEO, "kling-v3"),  # the kebab id is documented for Image-to-Video only
        (OMNI_REFERENCE, "Kling V3"),
        (OMNI_REFERENCE, "Vidu Q2"),
        (OMNI_REFERENCE, "Kling O3 Video-edit"),
        (IMAGE_TO_VIDEO, "Vidu Q2"),
        (IMAGE_TO_VIDEO, "Kling O3 Video-Edit"),
    ],
    ids=lambda value: value.key if isinstance(value, TaskType) else value,
)
def test_a_model_of_another_task_type_is_refused(api: Api, task_type: TaskType, model: str) -> None:
    _assert_rejected(api, task_type, model)


def test_add_model_per_task_type(api: Api) -> None:
    api.sim.add_model("Brand New 9", task_type="text2video")
    assert "Brand New 9" in api.sim.known_models_for(TEXT_TO_VIDEO)
    assert "Brand New 9" not in api.sim.known_models
    assert _submit(api, TEXT_TO_VIDEO, "Brand New 9")["code"] == "200"
    assert _submit(api, OMNI_REFERENCE, "Brand New 9") == REJECTED
    assert _submit(api, IMAGE_TO_VIDEO, "Brand New 9") == REJECTED
    api.sim.add_model("Sora 2", task_type=OMNI_REFERENCE)  # a test may still want a retired name
    assert _submit(api, OMNI_REFERENCE, "Sora 2")["code"] == "200"
    api.sim.reset()
    assert _submit(api, TEXT_TO_VIDEO, "Brand New 9")["code"] == "200"  # reset() keeps added names
    with pytest.raises(ValueError, match="unknown task type"):
        api.sim.add_model("X", task_type="video")


def test_accept_any_model_covers_every_task_type(api: Api) -> None:
    api.sim.accept_any_model = True
    for task_type in ALL:
        assert _submit(api, task_type, "Sora 2")["code"] == "200"
        assert _submit(api, task_type, "model-from-next-week")["code"] == "200"


@pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)
def test_the_model_is_checked_after_the_body_rules(api: Api, task_type: TaskType) -> None:
    answer = api.submit(body_for(api.sim, task_type, model="Sora 2", prompt=None), task_type)
    assert (answer["code"], str(answer["message"]).split(":")[0]) == ("4003", "prompt")
