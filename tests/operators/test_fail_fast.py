"""Fail fast where nothing will change: a missing connection, refused credentials, bad input."""

from __future__ import annotations

import json

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

pytestmark = pytest.mark.dag


def test_missing_connection_fails_once_naming_it(
    topview_simulator: TopviewSimulator, dag_runner: DagRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", raising=False)
    result = dag_runner.run("topview_test_bad_input", conf={"first": "f-1", "count": "1"})
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1  # retries=2 in the DAG: a retry cannot create the connection
    assert "Connection 'topview_default' is not defined" in result.log
    assert "login = your Topview UID and password = your API key" in result.log


def test_refused_credentials_fail_once_saying_what_to_check(
    topview_simulator: TopviewSimulator, dag_runner: DagRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_simulator
    wrong = {"conn_type": "topview", "login": sim.uid, "password": "sk-not-the-key", "host": sim.base_url}
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(wrong))
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1
    assert "TopView error 401" in result.log
    assert "check connection 'topview_default': login must be your Topview UID" in result.log
    assert "sk-not-the-key" not in result.log
    assert len(sim.requests_to("submit")) == 1


def test_validation_message_shows_the_value_received(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "5"})
    assert result.state == "failed"
    assert "generating_count: Input should be less than or equal to 4, got 5" in result.log
    assert sim.journal == []
