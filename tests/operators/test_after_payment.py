"""After TopView accepted (and billed) a submit, nothing but the video itself may fail the task."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner


def test_a_broken_task_link_template_fails_before_paying_and_never_after(
    topview_connection: TopviewSimulator,
    dag_runner: DagRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checked before the submit (nothing paid); and the link code itself never raises once paid."""
    from airflow_topview.links import task_link

    sim = topview_connection
    monkeypatch.setenv("AIRFLOW__TOPVIEW__TASK_LINK_TEMPLATE", "https://app.example/{topview_taskid}/{")
    result = dag_runner.run("topview_test_wait_polling", conf={"first": sim.add_file("png")})
    assert result.state == "failed"
    assert "task_link_template" in result.log
    assert sim.requests_to("submit") == []
    # Changed while a paid task waits (the config is read again when the link is made): a warning.
    assert task_link("abc") == "https://www.topview.ai/?taskId=abc"


def test_a_models_file_broken_during_the_wait_never_fails_the_resumed_try(
    topview_connection: TopviewSimulator,
    dag_runner: DagRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The resumed try renders the request again (metrics, lineage): a catalog that fails is a warning."""
    sim = topview_connection
    sim.polls_to_finish = 2  # the worker's look sees it running: the task defers, the trigger ends the wait
    models = tmp_path / "models.json"
    models.write_text('{"models": []}')
    monkeypatch.setenv("AIRFLOW__TOPVIEW__MODELS_FILE", str(models))

    def break_the_catalog_once_submitted() -> None:
        sim.wait_for(lambda: sim.requests_to("query"), timeout=60)
        models.write_text("{ not json")

    breaker = threading.Thread(target=break_the_catalog_once_submitted, daemon=True)
    breaker.start()
    result = dag_runner.run("topview_test_wait_deferrable", conf={"first": sim.add_file("png")})
    breaker.join(timeout=5)
    assert result.state == "success", result.log[-3000:]
    assert "could not be rendered again" in result.log
    assert len(sim.requests_to("submit")) == 1
    assert result.xcom("submit", key="result")["status"] == "success"
