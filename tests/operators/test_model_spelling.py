"""Speak TopView the way TopView's own client does: submit names, extra fields, callbacks, prompt rules."""

from __future__ import annotations

import pytest

from airflow_topview.catalog import load_catalog
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

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
    sim.add_model("Vidu Q9 Ultra")  # new at TopView, not in our catalog: must go out verbatim
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


def test_the_strict_simulator_refuses_a_model_topview_does_not_know(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    """A typo that nobody registered fails with TopView's 4000, once, after the warning."""
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog_unchecked", conf={"model": "seedance-1.5-pr0", "first": sim.add_file("png")}
    )
    assert result.state == "failed"
    assert "TopView error 4000" in result.log
    assert "Invalid parameter or model" in result.log
    assert sim.tasks == {}


def test_notice_url_is_checked_before_the_submit_and_its_uuid_is_in_xcom(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    notice = "https://example.com/topview-done"
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": "kling-v3", "first": sim.add_file("png"), "notice": notice},
    )
    assert result.state == "success", result.log[-3000:]
    endpoints = [entry.endpoint for entry in sim.journal]
    assert endpoints.index("notice_check") < endpoints.index("submit")
    [check] = sim.requests_to("notice_check")
    assert check.query == {"noticeUrl": notice}
    assert check.json == {"noticeUrl": notice}
    [task] = sim.tasks.values()
    assert result.xcom("submit", key="notice_uuid") == task.notice_uuid


def test_a_refused_notice_url_fails_before_anything_is_paid(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("notice_check", Fault.code("4000", "noticeUrl: not reachable"), times=None)
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": "kling-v3", "first": sim.add_file("png"), "notice": "https://example.com/x"},
    )
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1
    assert "noticeUrl: not reachable" in result.log
    assert sim.requests_to("submit") == []
