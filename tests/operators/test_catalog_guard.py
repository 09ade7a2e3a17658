"""Model checks and the credit budget in real DAG runs: violations cost zero requests, budgets hold."""

from __future__ import annotations

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

pytestmark = pytest.mark.dag

# seedance-1.5-pro at 1080p with sound: 0.55 credits/s x 10 s x 2 videos = 11 credits.
PRICED = {"model": "Seedance 1.5 Pro", "resolution": 1080, "sound": "on", "duration": 10, "count": 2}


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        (
            {"model": "kling-2.6", "duration": 7},
            "duration: kling-2.6 (Kling 2.6) takes 5 or 10 seconds, got 7",
        ),
        ({"model": "seedance-1.5-pro", "ratio": "16:9"}, "aspect_ratio: seedance-1.5-pro"),
        ({"model": "seedance-1.0-pro", "sound": "on"}, "sound: seedance-1.0-pro"),
        ({"model": "Kling V3", "resolution": 480}, "resolution: kling-v3"),
    ],
)
def test_capability_clash_fails_before_any_request(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, conf: dict[str, object], message: str
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_test_catalog", conf={"first": sim.add_file("png"), **conf})
    assert result.state == "failed"
    assert message in result.log
    assert sim.journal == []


def test_multi_reference_model_rejects_a_single_image(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog", conf={"model": "kling-v3-reference-video", "first": sim.add_file("png")}
    )
    assert result.state == "failed"
    assert "reference_image_file_ids" in result.log
    assert sim.journal == []


def test_validate_model_false_lets_the_request_through(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": "kling-2.6", "duration": 7, "first": sim.add_file("png")},
    )
    assert result.state == "success", result.log[-3000:]
    assert sim.requests_to("submit")[0].json["duration"] == 7


def test_budget_at_the_estimate_submits_and_pushes_it(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog", conf={**PRICED, "first": sim.add_file("png"), "max_credits": 11}
    )
    assert result.state == "success", result.log[-3000:]
    assert result.xcom("submit", key="estimated_credits") == pytest.approx(11.0)
    assert len(sim.requests_to("submit")) == 1
    assert "Estimated cost: seedance-1.5-pro" in result.log


def test_budget_below_the_estimate_blocks_the_submit(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog", conf={**PRICED, "first": sim.add_file("png"), "max_credits": 10.99}
    )
    assert result.state == "failed"
    assert "max_credits: the estimated cost 11 credits is above the budget of 10.99" in result.log
    assert result.tries[("submit", -1)] == 1
    assert sim.journal == []


def test_unknown_model_submits_with_one_log_line(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.add_model("Vidu Q9 Ultra")  # a model TopView takes and our catalog does not know yet
    result = dag_runner.run(
        "topview_test_catalog", conf={"model": "Vidu Q9 Ultra", "first": sim.add_file("png")}
    )
    assert result.state == "success", result.log[-3000:]
    assert result.log.count("'Vidu Q9 Ultra' is not in the model catalog") == 1
    assert sim.requests_to("submit")[0].json["model"] == "Vidu Q9 Ultra"


def test_unknown_model_with_budget_fails_closed(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog",
        conf={"model": "Vidu Q9 Ultra", "first": sim.add_file("png"), "max_credits": 100},
    )
    assert result.state == "failed"
    assert "max_credits=100 is set but the cost cannot be estimated" in result.log
    assert sim.journal == []
