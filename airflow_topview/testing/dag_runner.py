"""Run a DAG for real (``dag.test()``, the code path behind ``airflow dags test``) and read what it left.

Task instances, XComs and rendered template fields are read back through Airflow's public REST API
(:mod:`.run_reader`, in process), so a change of Airflow's tables cannot break a user's tests; the task
logs are what the run printed. Used by this project's suite and by the ``topview_airflow`` pytest fixture.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    import pytest


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[tuple[str, int], str]
    xcoms: Mapping[tuple[str, str, int], Any]
    rendered_fields: Mapping[tuple[str, int], dict[str, Any]]
    log: str
    tries: dict[tuple[str, int], int] = field(default_factory=dict)

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        try:
            return self.xcoms[(task_id, key, map_index)]
        except KeyError:
            raise UnknownInRunError(
                f"run {self.run_id!r} of DAG {self.dag_id!r} has no XCom {key!r} from task {task_id!r}"
                f"{_map_index_text(map_index)}; {_task_list(self.task_states)}"
            ) from None

    def task_state(self, task_id: str, map_index: int = -1) -> str:
        try:
            return self.task_states[(task_id, map_index)]
        except KeyError:
            raise UnknownInRunError(
                f"run {self.run_id!r} of DAG {self.dag_id!r} has no task {task_id!r}"
                f"{_map_index_text(map_index)}; {_task_list(self.task_states)}"
            ) from None


class UnknownInRunError(KeyError):
    """A DAG id, task or XCom a test asked for is not there; the message lists what is.

    A ``KeyError`` (what a dict lookup raised before), with a message instead of the bare key.
    """

    def __str__(self) -> str:  # KeyError's own str() quotes the message as a key
        return str(self.args[0]) if self.args else ""


def _map_index_text(map_index: int) -> str:
    return "" if map_index == -1 else f" at map index {map_index}"


def _task_list(task_states: Mapping[tuple[str, int], str]) -> str:
    names = sorted({f"{task_id}[{index}]" if index != -1 else task_id for task_id, index in task_states})
    return "the run's tasks: " + (", ".join(names) if names else "none")


@functools.cache
def _dagbag(dags_folder: str) -> Any:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow < 3.2 (common.compat does not offer DagBag)
        from airflow.models.dagbag import DagBag  # type: ignore[attr-defined,no-redef,unused-ignore]

    bag = DagBag(dag_folder=dags_folder)
    if bag.import_errors:
        errors = sorted(bag.import_errors.items())
        failures = "\n".join(f"  {path}: {error.strip()}" for path, error in errors)
        raise AssertionError(f"DAG files in {dags_folder} failed to import:\n{failures}")
    return bag


class DagRunner:
    def __init__(self, dags_folder: Path, capfd: pytest.CaptureFixture[str]) -> None:
        self.dags_folder = dags_folder
        self.capfd = capfd

    def dag(self, dag_id: str) -> Any:
        dags = _dagbag(str(self.dags_folder)).dags
        if dag_id not in dags:
            known = ", ".join(sorted(dags)) or "none"
            raise UnknownInRunError(
                f"no DAG with dag_id {dag_id!r} in {self.dags_folder} (the dags folder this runner reads); "
                f"DAGs found there: {known}"
            )
        return dags[dag_id]

    def run(self, dag_id: str, conf: dict[str, Any] | None = None) -> DagRunResult:
        """Run like a trigger from the UI or the REST API: no logical date (so no ``ds`` in templates).

        The DAG object is reused between runs, and running a task merges the run's conf into its
        ``params`` in place: they are restored afterwards, so one run's conf never leaks into the next.
        """
        dag = self.dag(dag_id)
        saved = {task.task_id: copy.deepcopy(task.params) for task in dag.tasks}
        self.capfd.readouterr()
        try:
            dag_run = dag.test(run_conf=conf or {}, logical_date=None)
        finally:
            for task in dag.tasks:
                task.params = saved[task.task_id]
        captured = self.capfd.readouterr()
        return self._collect(dag_id, dag_run.run_id, str(dag_run.state), captured.out + captured.err)

    def _collect(self, dag_id: str, run_id: str, state: str, log: str) -> DagRunResult:
        from airflow_topview.testing.run_reader import RunRenderedFields, RunXComs, task_instances

        tis = task_instances(dag_id, run_id)
        return DagRunResult(
            dag_id=dag_id,
            run_id=run_id,
            state=state,
            task_states={(ti["task_id"], ti["map_index"]): str(ti["state"]) for ti in tis},
            tries={(ti["task_id"], ti["map_index"]): ti["try_number"] for ti in tis},
            xcoms=RunXComs(dag_id, run_id),
            rendered_fields=RunRenderedFields(dag_id, run_id, tis),
            log=log,
        )
