"""Speak TopView the way TopView's own client does: submit names, extra fields, callbacks, prompt rules."""

from __future__ import annotations

import pytest

from airflow_topview.catalog import load_catalog
from airflow_topview.testing import TopviewSimulator
from tests.dag_runner import DagRunner

pytestmark = pytest.mark.dag

CATALOG = load_catalog()
PROMPT = "a lighthouse at dusk"


def sent_model(sim: TopviewSimulator) -> str:
    [submit] = sim.requests_to("submit")
    return str(submit.json["model"])


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("seedance-1.5-pro", "Seedance 1.5 Pro"),
        ("Seedance 1.5 Pro", "Seedance 1.5 Pro"),
        ("SEEDANCE 1.5 PRO", "Seedance 1.5 Pro"),
        ("kling-v3", "Kling V3"),
        ("kling v3", "Kling V3"),
        ("Vidu Q9 Ultra", "Vidu Q9 Ultra"),  # unknown: sent exactly as written
    ],
)
def test_model_goes_out_as_its_submit_name(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, given: str, sent: str
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": given, "first": sim.add_file("png"), "prompt": PROMPT},
    )
    assert result.state == "success", result.log[-3000:]
    assert sent_model(sim) == sent
    assert result.rendered_fields[("submit", -1)]["model"] == sent  # what was sent, not what was typed
    if given != sent:
        assert f"Model {given!r} is sent to TopView as {sent!r}" in result.log


def test_every_catalog_model_is_sent_by_its_submit_name(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    for spec in CATALOG:
        assert CATALOG.submit_name(spec.id) == spec.submit_name
        assert CATALOG.submit_name(spec.name.upper()) == spec.submit_name
    spec = CATALOG.find("kling-2.6")
    assert spec is not None
    result = dag_runner.run(
        "topview_test_catalog", conf={"model": spec.id, "first": sim.add_file("png"), "duration": 5}
    )
    assert result.state == "success", result.log[-3000:]
    assert sent_model(sim) == spec.submit_name


def test_a_typo_warns_naming_the_likely_model(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog_unchecked", conf={"model": "seedance-1.5-pr0", "first": sim.add_file("png")}
    )
    assert "did you mean 'Seedance 1.5 Pro' (seedance-1.5-pro)" in result.log
    assert sent_model(sim) == "seedance-1.5-pr0"


def test_extra_body_merges_new_fields(topview_connection: TopviewSimulator, dag_runner: DagRunner) -> None:
    sim = topview_connection
    extra = {"cameraMotion": "dolly-in", "seed": 42}
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": "kling-v3", "first": sim.add_file("png"), "extra": extra},
    )
    assert result.state == "success", result.log[-3000:]
    [submit] = sim.requests_to("submit")
    assert submit.json["cameraMotion"] == "dolly-in"
    assert submit.json["seed"] == 42
    assert submit.json["model"] == "Kling V3"


@pytest.mark.parametrize("key", ["prompt", "firstFrameFileId", "first_frame_file_id", "model"])
def test_extra_body_may_not_override_a_known_field(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, key: str
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": "kling-v3", "first": sim.add_file("png"), "extra": {key: "x"}},
    )
    assert result.state == "failed"
    assert f"extra_body: {key!r} would override the known field" in result.log
    assert sim.journal == []


@pytest.mark.parametrize("model", ["sora-2", "Veo 3.1"])
def test_prompt_required_models_fail_before_the_submit(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, model: str
) -> None:
    sim = topview_connection
    spec = CATALOG.find(model)
    assert spec is not None
    assert spec.prompt_required
    result = dag_runner.run("topview_test_catalog", conf={"model": model, "first": sim.add_file("png")})
    assert result.state == "failed"
    assert "needs a prompt" in result.log
    assert sim.journal == []


@pytest.mark.parametrize("model", ["Seedance 2.0 Mini", "Gemini Omni Flash", "Happy Horse 1.1"])
def test_new_models_have_unknown_rates_and_max_credits_fails_closed(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, model: str
) -> None:
    sim = topview_connection
    spec = CATALOG.find(model)
    assert spec is not None
    result = dag_runner.run(
        "topview_test_catalog",
        conf={"model": model, "first": sim.add_file("png"), "duration": 6, "max_credits": 1000},
    )
    assert result.state == "failed"
    assert "cannot be estimated" in result.log
    assert "models_file" in result.log
    assert sim.journal == []
