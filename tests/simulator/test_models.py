"""Model names: as strict as TopView (catalog spellings, exact case), with test-added names and a switch
back to accepting anything."""

from __future__ import annotations

import pytest

from airflow_topview.catalog import load_catalog
from airflow_topview.testing import TopviewSimulator

from .conftest import Api

REJECTED = {"code": "4000", "message": "Invalid parameter or model", "result": None}


def _submit(api: Api, model: str) -> dict[str, object]:
    return api.submit({"model": model, "firstFrameFileId": api.sim.add_file()})


def test_unknown_model_is_4000_with_no_task_and_no_charge(api: Api) -> None:
    assert _submit(api, "Kling V33") == REJECTED
    assert api.sim.tasks == {}
    assert api.sim.reserved_credits == 0
    assert api.get("/user/credit/detail").json()["result"]["remainCredit"] == 10000.0
    entry = api.sim.requests_to("submit")[-1]
    assert (entry.status, entry.code, entry.handler_code) == (200, "4000", "4000")


def _live_names() -> frozenset[str]:
    """The catalog's Image-to-Video submit names of models not retired."""
    return frozenset(
        name
        for spec in load_catalog()
        if spec.retired is None
        for name in (spec.submit_name, *spec.submit_aliases)
    )


@pytest.mark.parametrize("model", sorted(_live_names()))
def test_every_catalog_submit_name_is_taken(api: Api, model: str) -> None:
    answer = _submit(api, model)
    assert answer["code"] == "200", answer


@pytest.mark.parametrize("model", ["KLING-V3", "kling v3", "Kling v3", " Kling V3", "Kling V3 ", "SORA-2"])
def test_model_names_are_exact_and_case_sensitive(api: Api, model: str) -> None:
    assert _submit(api, model) == REJECTED


def test_known_models_are_the_catalog_plus_added_names(sim: TopviewSimulator) -> None:
    catalog = _live_names()
    assert sim.known_models == catalog
    assert {"seedance-1.5-pro", "kling-v3", "Seedance 1.5 Pro", "Gemini Omni Flash"} <= sim.known_models
    assert not {"sora-2", "Sora 2", "Sora 2 Pro", "Topview Omni"} & sim.known_models  # retired, former
    sim.add_model("Brand New 9")
    assert sim.known_models == catalog | {"Brand New 9"}


def test_an_added_model_is_taken_exactly_as_spelled(api: Api) -> None:
    assert _submit(api, "Brand New 9") == REJECTED
    api.sim.add_model("Brand New 9")
    assert _submit(api, "Brand New 9")["code"] == "200"
    assert _submit(api, "brand new 9") == REJECTED
    (task,) = api.sim.tasks.values()
    assert task.body["model"] == "Brand New 9"


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_add_model_refuses_blank_or_non_text(sim: TopviewSimulator, name: object) -> None:
    with pytest.raises(ValueError, match="model name"):
        sim.add_model(name)  # type: ignore[arg-type]


def test_added_models_survive_reset(api: Api) -> None:
    api.sim.add_model("Brand New 9")
    api.sim.reset()
    assert _submit(api, "Brand New 9")["code"] == "200"


def test_accept_any_model_from_the_constructor() -> None:
    with TopviewSimulator(polls_to_finish=1, accept_any_model=True) as sim:
        api = Api(sim)
        assert sim.accept_any_model is True
        answer = _submit(api, "model-from-next-week")
        assert answer["code"] == "200", answer
        task_id = str(answer["result"]["taskId"])  # type: ignore[index]
        assert api.run_to_end(task_id)["costCredit"] == 1.0 * 5  # unknown rate: 1 credit per second
        api.http.close()


def test_accept_any_model_can_be_switched_while_running(api: Api) -> None:
    assert api.sim.accept_any_model is False
    api.sim.accept_any_model = True
    assert _submit(api, "anything")["code"] == "200"
    api.sim.accept_any_model = False
    assert _submit(api, "anything") == REJECTED
    assert len(api.sim.tasks) == 1


def test_the_model_is_checked_after_the_body_rules(api: Api) -> None:
    """A body broken otherwise still names its own field; the model check comes once the body is sound."""
    answer = api.submit({"model": "Kling V33"})
    assert answer["code"] == "4003"
    assert "firstFrameFileId" in str(answer["message"])
