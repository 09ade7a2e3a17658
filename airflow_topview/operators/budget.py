"""RunBudgetOperator and RunCostReportOperator: what a whole DAG run may spend, and what it did spend.

A campaign maps one submit over hundreds of images; ``max_credits`` only guards each one. The budget
task prices the whole fan-out before the first submit and pushes its approval, which every submit checks
(``run_budget=budget.output``); the report task sums what TopView charged once the submits are done::

    images = list_images()
    budget = RunBudgetOperator(task_id="budget", max_credits=50, videos=images, model="seedance-1.5-pro",
                               duration=5, resolution=720)
    submits = SubmitImageToVideoOperator.partial(task_id="generate", run_budget=budget.output, ...
                                                 ).expand(first_frame_file_id=...)
    report = RunCostReportOperator(task_id="cost", budget_task_id="budget", trigger_rule="all_done")
    submits >> report

Imported when DAGs are parsed, so it imports nothing heavy at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_topview.exceptions import RequestValidationError, TopviewBudgetError, TopviewTaskFailedError
from airflow_topview.task_outcome import decides_outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context

    from airflow_topview.client.task_types import TaskType

#: Settings of one submit that decide its price (the submit operator's parameter names).
PRICED_SETTINGS = ("model", "duration", "resolution", "sound", "generating_count")


class RunBudgetOperator(BaseOperator):
    """Price a whole fan-out before anything is paid; fail when it is over budget; push the approval.

    The estimate is ``videos`` x the catalog price of one submit with the given settings (the same
    estimate ``max_credits`` uses), from the model table of the downstream submit's task type. It fails
    closed: a model without known rates fails the task. With ``check_balance=True`` the account's
    remaining credits (``GET /user/credit/detail``) must cover it too.

    ``return_value`` is the approval: ``videos``, ``credits_per_video``, ``estimated_credits``,
    ``max_credits`` and ``remaining_credits`` (None unless checked). Hand it to every submit of
    the fan-out (``run_budget=budget.output``): each refuses to pay beyond the approved count or price.

    :param max_credits: the most the run may spend, in credits (templated).
    :param videos: how many submits: a number, or the list the submits are mapped over (templated; pass
        the same ``XComArg`` as the submit's ``expand``).
    :param model: model of the submits (templated; unset: the default model of the submit's task
        type), and ``duration``, ``resolution``, ``sound``, ``generating_count`` as given to them
        (templated; unset ones are priced as the catalog assumes).
    :param check_balance: also check the account's remaining credits (one read-only API call).
    :param models_file: a JSON file extending the model catalog (rates for new models).
    :param topview_conn_id: the ``topview`` connection (used only with ``check_balance``).
    :param hook_params: settings of the hook (``retry_limit``, ``timeout``, ...), as for the submit.
    """

    template_fields: Sequence[str] = ("max_credits", "videos", *PRICED_SETTINGS)
    ui_color = "#fff3c4"

    def __init__(
        self,
        *,
        max_credits: float | str,
        videos: Any,
        model: str | None = None,
        duration: int | str | None = None,
        resolution: int | str | None = None,
        sound: str | bool | None = None,
        generating_count: int | str | None = None,
        check_balance: bool = False,
        models_file: str | None = None,
        topview_conn_id: str = "topview_default",
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hook_params = hook_params or {}
        self.max_credits = max_credits
        self.videos = videos
        self.model = model
        self.duration = duration
        self.resolution = resolution
        self.sound = sound
        self.generating_count = generating_count
        self.check_balance = check_balance
        self.models_file = models_file
        self.topview_conn_id = topview_conn_id

    @decides_outcome
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_topview.hooks.settings import TopviewHookSettings
        from airflow_topview.submit.model_checks import budget_from
        from airflow_topview.submit.run_budget import approve, price_one, video_count

        TopviewHookSettings.of(self.hook_params)  # checked before anything, used only by check_balance
        budget = budget_from(self.max_credits)
        if budget is None:
            raise RequestValidationError("max_credits: a run budget needs a number of credits")
        task_type = self._submit_task_type()
        count = video_count(self.videos)
        settings = {name: getattr(self, name) for name in PRICED_SETTINGS}
        settings["model"] = self.model if self.model is not None else task_type.default_model
        one = price_one(settings, models_file=self.models_file, task_type=task_type)
        remaining = self._remaining_credits() if self.check_balance else None
        approval = approve(count, one, max_credits=budget, remaining=remaining, approved_by=self.task_id)
        self.log.info(
            "Run budget: %d video(s) x %g credits = %g credits estimated, within %g%s",
            count,
            one.credits,
            approval["estimated_credits"],
            budget,
            "" if remaining is None else f" and the {remaining:g} credits left on the account",
        )
        return approval

    def _submit_task_type(self) -> TaskType:
        """The task type of the ONE submit task the approval is for (two sharing it could spend twice)."""
        from airflow_topview.client.task_types import IMAGE_TO_VIDEO
        from airflow_topview.operators.upstream import is_submit, submit_task_type

        # Any direct downstream submit holding a run_budget may be handed this approval, however it is
        # written (budget.output, a template); submits further down are refused by check_covered.
        direct = {task.task_id for task in self.get_direct_relatives(upstream=False)}
        users = sorted(
            task.task_id
            for task in self.get_flat_relatives(upstream=False)
            if is_submit(task)
            and (_budget_task_of(task) == self.task_id or (task.task_id in direct and _has_run_budget(task)))
        )
        if len(users) > 1:
            raise RequestValidationError(
                f"run_budget: submit tasks {', '.join(users)} share this budget, whose approval counts the "
                "videos of one submit task; give each its own RunBudgetOperator (or one task mapped over all)"
            )
        if not users:
            self.log.warning("No submit downstream has run_budget=%s.output", self.task_id)
            return IMAGE_TO_VIDEO
        return submit_task_type(self.dag.get_task(users[0]))

    def _remaining_credits(self) -> float:
        from airflow_topview.hooks.settings import TopviewHookSettings
        from airflow_topview.hooks.topview import TopviewHook

        hook = TopviewHook(self.topview_conn_id, settings=TopviewHookSettings.of(self.hook_params))
        try:
            remaining = hook.get_credit().remain_credit
        finally:
            hook.close()
        if remaining is None:
            raise TopviewBudgetError("check_balance: TopView did not say how many credits are left")
        return remaining


class RunCostReportOperator(BaseOperator):
    """Sum what TopView charged for every submit upstream of this task, beside the run's estimate.

    Every TopView submit upstream (any task type, mapped ones included) is read: its XCom ``result``
    when it waited, else its TopView task is queried. Tasks not finished yet are listed, not guessed.
    Run it with ``trigger_rule="all_done"`` so failed submits do not hide what the others cost.
    ``return_value``: ``charged_credits``, ``tasks`` (TopView task id -> charged credits or None),
    ``unfinished``, ``failed_submits`` (submit task instances that failed: one whose submit was uncertain
    may have been charged for a task whose id is unknown), and from the budget task (``budget_task_id``)
    ``estimated_credits`` and ``max_credits``.

    After reporting, the task fails when any task upstream of it failed (the budget refused, a submit
    failed), so the DAG run does not show success because its last task, the report, ran.

    :param budget_task_id: the ``RunBudgetOperator`` task whose estimate to report beside the charge.
    :param fail_when_upstream_failed: fail after reporting when an upstream task failed (default True).
    :param topview_conn_id: the ``topview`` connection (to query tasks that were not waited for).
    :param hook_params: settings of the hook (``retry_limit``, ``timeout``, ...), as for the submit.
    """

    ui_color = "#fff3c4"

    def __init__(
        self,
        *,
        budget_task_id: str | None = None,
        fail_when_upstream_failed: bool = True,
        topview_conn_id: str = "topview_default",
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hook_params = hook_params or {}
        self.budget_task_id = budget_task_id
        self.fail_when_upstream_failed = fail_when_upstream_failed
        self.topview_conn_id = topview_conn_id

    @decides_outcome
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_topview.hooks.settings import TopviewHookSettings
        from airflow_topview.operators.upstream import submit_task_type, upstream_submit_ids

        TopviewHookSettings.of(self.hook_params)  # before anything: the report must not fail half-way
        ti = context["ti"]
        submits = upstream_submit_ids(self)
        topview_ids = _pulled(ti, submits, "task_id")
        kinds = {
            tid: submit_task_type(self.dag.get_task(sid))
            for sid in submits
            for tid in _pulled(ti, [sid], "task_id")
        }
        results = {r.get("taskId"): r for r in _pulled(ti, submits, "result") if isinstance(r, dict)}
        charged = self._charges(topview_ids, results, kinds)
        approval = ti.xcom_pull(task_ids=self.budget_task_id) if self.budget_task_id else None
        approval = approval if isinstance(approval, dict) else {}
        failed = self._failed_upstream(ti)
        report = {
            "charged_credits": round(sum(c for c in charged.values() if c is not None), 6),
            "tasks": charged,
            "unfinished": [task_id for task_id, cost in charged.items() if cost is None],
            # A submit that failed without a task id may still have been charged (an uncertain submit).
            "failed_submits": [
                name for name, state in failed.items() if state == "failed" and names_one_of(name, submits)
            ],
            "estimated_credits": approval.get("estimated_credits"),
            "max_credits": approval.get("max_credits"),
        }
        self.log.info(
            "TopView charged %g credits for %d task(s) (estimated %s, budget %s); unfinished: %s; "
            "failed submits (cost unknown, check the TopView web app): %s",
            report["charged_credits"],
            len(charged),
            report["estimated_credits"],
            report["max_credits"],
            report["unfinished"] or "none",
            report["failed_submits"] or "none",
        )
        if failed and self.fail_when_upstream_failed:
            ti.xcom_push(key="return_value", value=report)
            raise TopviewTaskFailedError(
                f"Reported the cost above; failing because upstream task(s) failed: {', '.join(failed)}"
            )
        return report

    def _failed_upstream(self, ti: Any) -> dict[str, str]:
        """Upstream task instances (``task_id`` or ``task_id_<map index>``) that failed -> their state."""
        upstream = sorted(self.get_flat_relative_ids(upstream=True))
        states = ti.get_task_states(dag_id=ti.dag_id, task_ids=upstream, run_ids=[ti.run_id])
        return {
            name: state
            for name, state in sorted(states.get(ti.run_id, {}).items())
            if state in ("failed", "upstream_failed")
        }

    def _charges(
        self, topview_ids: list[Any], results: dict[Any, dict[str, Any]], kinds: dict[Any, TaskType]
    ) -> dict[str, float | None]:
        from airflow_topview.hooks.settings import TopviewHookSettings
        from airflow_topview.hooks.topview import TopviewHook

        charged: dict[str, float | None] = {}
        hook: TopviewHook | None = None
        try:
            for task_id in dict.fromkeys(i for i in topview_ids if isinstance(i, str)):
                if task_id in results:
                    cost = results[task_id].get("costCredit")
                else:
                    hook = hook or TopviewHook(
                        self.topview_conn_id, settings=TopviewHookSettings.of(self.hook_params)
                    )
                    cost = self._queried_charge(hook, task_id, kinds[task_id])
                charged[task_id] = float(cost) if isinstance(cost, (int, float)) else None
        finally:
            if hook is not None:
                hook.close()
        return charged

    def _queried_charge(self, hook: Any, task_id: str, task_type: TaskType) -> float | None:
        """A task's charge from TopView; None while it runs or when the query fails (logged)."""
        from airflow_topview.exceptions import TopviewError

        try:
            task = hook.get_task(task_type, task_id)
        except TopviewError as exc:
            self.log.warning("Could not read the charge of TopView task %s: %s", task_id, exc)
            return None
        finished = {"success": task.cost_credit, "fail": task.cost_credit or 0.0}  # failed tasks are free
        return finished.get(task.state)


def names_one_of(name: str, task_ids: list[str]) -> bool:
    """Whether a task state name (``task_id``, or ``task_id_<map index>`` when mapped) is of these tasks.

    Both readings are tried: ``step_2`` may be the unmapped task ``step_2`` or index 2 of ``step``.
    """
    head, _, index = name.rpartition("_")
    return name in task_ids or (index.isdigit() and head in task_ids)


def _budget_task_of(task: Any) -> str | None:
    """The task id behind a submit's ``run_budget`` XComArg (mapped or not), before it is resolved."""
    value = getattr(task, "partial_kwargs", {}).get("run_budget", getattr(task, "run_budget", None))
    operator = getattr(value, "operator", None)
    return getattr(operator, "task_id", None)


def _has_run_budget(task: Any) -> bool:
    """Whether a submit (mapped or not) was given any ``run_budget`` at all."""
    return (
        getattr(task, "partial_kwargs", {}).get("run_budget", getattr(task, "run_budget", None)) is not None
    )


def _pulled(ti: Any, task_ids: list[str], key: str) -> list[Any]:
    """One XCom key of every map index of these tasks (an empty list when there are none)."""
    if not task_ids:
        return []
    pulled = ti.xcom_pull(task_ids=task_ids, key=key)
    return [value for value in (pulled if isinstance(pulled, list) else [pulled]) if value is not None]
