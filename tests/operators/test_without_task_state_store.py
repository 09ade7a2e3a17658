"""Airflow < 3.3 has no ``task_state_store``: a later try never submits blindly, a first try works.

The DAGs (tests/dags/topview_no_store.py) run for real with Airflow's retries against the simulator; their
operator only leaves ``task_state_store`` out of the context, as older Airflow versions do.
"""

from __future__ import annotations

import re

from airflow_topview.submit.paid import ACCEPTED_LOG_PREFIX
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

NO_STORE = "no task_state_store to journal the submit in (it came in Airflow 3.3)"


def test_a_retry_after_a_submit_fails_as_uncertain_and_the_logged_id_can_be_reused(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10_000  # the first try's wait times out; Airflow retries the task
    result = dag_runner.run("topview_no_store_retry_after_submit", conf={"first": sim.add_file("png")})
    assert result.state == "failed", result.log[-4000:]
    assert result.tries[("submit", -1)] == 2
    assert len(sim.requests_to("submit")) == 1  # the retry sent nothing
    assert "Not submitting again: this is try 2 of the task" in result.log
    assert NO_STORE in result.log
    assert "ImageToVideoSensor(topview_task_id=..., topview_task_type='image2video')" in result.log
    # The message points at the first try's log line; the id there is the task TopView created.
    [logged] = re.findall(re.escape(ACCEPTED_LOG_PREFIX) + r"([\w-]+)", result.log)
    assert list(sim.tasks) == [logged]
    # ... and it can be waited for with the sensor, as the message says.
    sim.finish_task(logged)
    waited = dag_runner.run("topview_hostile_poke", conf={"task": logged})
    assert waited.state == "success", waited.log[-4000:]
    assert waited.xcom("wait")["taskId"] == logged


def test_a_retry_after_a_submit_cut_off_fails_as_uncertain(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.slow(6), times=None)  # created at once, answered after execution_timeout
    result = dag_runner.run("topview_no_store_timeout_fail", conf={"first": sim.add_file("png")})
    assert result.state == "failed", result.log[-4000:]
    assert result.tries[("submit", -1)] == 2
    assert NO_STORE in result.log
    assert "on_uncertain_submit='resubmit'" in result.log
    assert (len(sim.requests_to("submit")), len(sim.tasks)) == (1, 1)


def test_resubmitting_on_a_retry_stays_an_explicit_choice(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.slow(6), times=1)
    result = dag_runner.run("topview_no_store_timeout_resubmit", conf={"first": sim.add_file("png")})
    assert result.state == "success", result.log[-4000:]
    assert result.tries[("submit", -1)] == 2
    assert len(sim.requests_to("submit")) == 2  # the user accepted a possible second charge


def test_a_first_try_submits_and_a_busy_deferrable_task_waits_on_the_worker(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.code("4007"), times=2)
    result = dag_runner.run("topview_no_store_busy_deferrable", conf={"first": sim.add_file("png")})
    assert result.state == "success", result.log[-4000:]
    assert result.tries[("submit", -1)] == 1
    assert [entry.code for entry in sim.requests_to("submit")] == ["4007", "4007", "200"]
    assert "releasing the worker" not in result.log  # no deferral: its state would be lost on resume
    assert "This Airflow has no task_state_store" in result.log
    [made] = sim.tasks.values()
    assert result.xcom("submit", "result")["taskId"] == made.task_id
