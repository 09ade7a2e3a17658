"""What a DAG test written with the ``topview_airflow`` runner shows when it names something not there.

A typo in a DAG id, a task id or an XCom key must say what was asked for and what exists, not end in a
bare ``KeyError: 'my_vdieo'``.
"""

from __future__ import annotations

import pytest

from airflow_topview.testing.dag_runner import DagRunner, DagRunResult, UnknownInRunError


def test_an_unknown_dag_id_names_the_folder_and_the_dags_in_it(dag_runner: DagRunner) -> None:
    with pytest.raises(KeyError) as raised:
        dag_runner.run("topview_test_run_budgt")
    message = str(raised.value)
    assert isinstance(raised.value, UnknownInRunError)
    assert message.startswith("no DAG with dag_id 'topview_test_run_budgt' in ")
    assert str(dag_runner.dags_folder) in message
    assert "topview_test_run_budget," in message.split("DAGs found there: ")[1]
    assert "UnknownInRunError: no DAG with dag_id" in raised.exconly()


def _result() -> DagRunResult:
    return DagRunResult(
        dag_id="d",
        run_id="manual__1",
        state="success",
        task_states={("submit", -1): "success", ("download", 0): "success", ("download", 1): "failed"},
        xcoms={("submit", "return_value", -1): "task-1"},
        rendered_fields={},
        log="",
    )


def test_an_unknown_task_or_xcom_names_the_run_and_its_tasks() -> None:
    result = _result()
    assert result.xcom("submit") == "task-1"
    with pytest.raises(KeyError) as raised:
        result.task_state("sumbit")
    assert str(raised.value) == (
        "run 'manual__1' of DAG 'd' has no task 'sumbit'; the run's tasks: download[0], download[1], submit"
    )
    with pytest.raises(KeyError) as raised:
        result.xcom("submit", key="topview_url")
    expected = "run 'manual__1' of DAG 'd' has no XCom 'topview_url' from task 'submit';"
    assert str(raised.value).startswith(expected)
    with pytest.raises(KeyError) as raised:
        result.xcom("download", map_index=2)
    assert "from task 'download' at map index 2;" in str(raised.value)
