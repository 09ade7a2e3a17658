"""What every TopView submit operator takes: connection, waiting, budget and paying-once parameters.

The parameters, their checks before anything is sent and the hook are the same for every task type;
the submit itself is in :mod:`airflow_topview.operators.submit`. Imported at DAG parse time: nothing
heavy at module level.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow.providers.common.compat.sdk import BaseOperator, conf

from airflow_topview.exceptions import RequestValidationError
from airflow_topview.lineage import ReportsLineage
from airflow_topview.operators.labels import with_default_label

if TYPE_CHECKING:
    from airflow.sdk.definitions.mappedoperator import OperatorPartial

    from airflow_topview.catalog import CreditEstimate
    from airflow_topview.client.request_base import SubmitRequest
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.hooks.settings import TopviewHookSettings
    from airflow_topview.hooks.topview import TopviewHook

#: What a retry does when an earlier try sent a submit whose answer never arrived (the task may exist).
UNCERTAIN_SUBMIT_CHOICES = ("fail", "resubmit")
#: What a retry does when its request rendered differently while an earlier try's task runs or succeeded.
CHANGED_REQUEST_CHOICES = ("reuse", "resubmit", "fail")


class TopviewSubmitOperatorBase(BaseOperator, ReportsLineage):
    """The parameters and checks every TopView submit operator shares (not used in DAGs on its own).

    :class:`~airflow_topview.operators.submit.TopviewSubmitOperator` adds the submit itself; a task type's
    operator names its :attr:`topview_task_type` and declares its body parameters.

    :param topview_conn_id: the ``topview`` connection.
    :param wait_for_completion: wait for the videos before finishing the task.
    :param deferrable: wait in the triggerer instead of holding a worker slot (with ``wait_for_completion``).
    :param poll_interval: seconds between status checks while waiting.
    :param timeout: longest wait for the videos, in seconds.
    :param max_credits: fail before submitting when the estimated cost is higher; fails closed when
        the cost cannot be estimated (a model the catalog does not know), and when a template renders it
        to nothing (``None`` or empty text): only a Python ``None`` means "no budget".
    :param run_budget: the approval of a :class:`~airflow_topview.operators.budget.RunBudgetOperator`
        (``budget.output``): before paying, the submit fails when the run's approved video count is used
        up (by map index) or its own estimate is above the approved price per video; fails closed.
    :param validate_model: check the parameters against the known capabilities of the model (models
        missing from the catalog are never blocked).
    :param models_file: a JSON file extending or correcting the model catalog (see ``[topview] models_file``).
    :param fail_on_partial: with ``wait_for_completion``, fail when any video of the task failed.
    :param hook_params: extra keyword arguments for :class:`TopviewHook` (``retry_limit``, ``retry_delay``,
        ``retry_max_delay``, ``busy_timeout``, ``timeout``); JSON-safe, checked before anything is sent.
    :param on_uncertain_submit: when a retry finds that an earlier try sent the submit but never got its
        answer (worker killed, ``execution_timeout``): ``"fail"`` (default) fails without submitting, as
        TopView may have created and billed that task; ``"resubmit"`` accepts a possible second charge.
        On Airflow < 3.3 (no ``task_state_store``) this applies to every retry and clear of the task.
    :param on_changed_request: when a retry (not a clear) renders a different request than an earlier
        try sent (a random seed, ``macros.uuid``, the time in a template) while that try's TopView task is
        running or succeeded: ``"reuse"`` (default) waits for or reuses that task, saying so in the log;
        ``"resubmit"`` pays for the new request; ``"fail"`` fails the task. A clear with a changed request
        always submits anew (a video made for other input is never reused).
    :param durable: as in Airflow's ``ResumableJobMixin``: True (default) journals the submit so that a
        retry or clear reconnects to the earlier try's TopView task; False submits a new, paid task on
        every try.
    """

    #: The kind of TopView task this operator submits.
    topview_task_type: ClassVar[TaskType]

    @classmethod
    def partial(cls, **kwargs: Any) -> OperatorPartial:  # type: ignore[override]
        """Airflow's ``partial``; each mapped submit is labelled by its prompt unless told otherwise."""
        return super().partial(**with_default_label(kwargs))

    def __init__(
        self,
        *,
        topview_conn_id: str = "topview_default",
        wait_for_completion: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float = 60 * 60,
        max_credits: float | str | None = None,
        run_budget: Any = None,
        validate_model: bool = True,
        models_file: str | None = None,
        fail_on_partial: bool = False,
        hook_params: dict[str, Any] | None = None,
        on_uncertain_submit: Literal["fail", "resubmit"] = "fail",
        on_changed_request: Literal["reuse", "resubmit", "fail"] = "reuse",
        durable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.topview_conn_id = topview_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_credits = max_credits
        self.run_budget = run_budget
        # An approval that resolves to nothing (the budget task's XCom missing) must not mean "no budget".
        self._run_budget_given = run_budget is not None
        self.validate_model = validate_model
        self.models_file = models_file
        self.fail_on_partial = fail_on_partial
        self.hook_params = hook_params or {}
        self.on_uncertain_submit = on_uncertain_submit
        self.on_changed_request = on_changed_request
        self.durable = durable

    @cached_property
    def hook_settings(self) -> TopviewHookSettings:
        """``hook_params`` checked once (a bad one raises RequestValidationError naming it)."""
        from airflow_topview.hooks.settings import TopviewHookSettings

        return TopviewHookSettings.of(self.hook_params)

    @cached_property
    def hook(self) -> TopviewHook:
        """A hook for ``topview_conn_id``; built on first use so parsing a DAG never touches it."""
        from airflow_topview.hooks.topview import TopviewHook

        return TopviewHook(self.topview_conn_id, settings=self.hook_settings)

    def check_settings(self) -> None:
        """Waiting parameters, ``hook_params`` and ``on_uncertain_submit``, before anything is sent."""
        from airflow_topview.settings import check_waiting

        if self.wait_for_completion:
            check_waiting(poll_interval=self.poll_interval, timeout=self.timeout)
        self.hook_settings  # noqa: B018 (checked here, before anything is sent)
        if self.on_uncertain_submit not in UNCERTAIN_SUBMIT_CHOICES:
            raise RequestValidationError(
                f"on_uncertain_submit: must be one of {', '.join(UNCERTAIN_SUBMIT_CHOICES)}, "
                f"got {self.on_uncertain_submit!r}"
            )
        if self.on_changed_request not in CHANGED_REQUEST_CHOICES:
            raise RequestValidationError(
                f"on_changed_request: must be one of {', '.join(CHANGED_REQUEST_CHOICES)}, "
                f"got {self.on_changed_request!r}"
            )

    def check_model_and_budget(self, request: SubmitRequest, map_index: int = -1) -> CreditEstimate | None:
        """Capability checks, ``max_credits`` and ``run_budget``, before anything is spent."""
        from airflow_topview.submit.model_checks import check_model_and_budget
        from airflow_topview.submit.run_budget import check_covered

        estimate = check_model_and_budget(
            request,
            models_file=self.models_file,
            validate_model=self.validate_model,
            max_credits=self.max_credits,
            log=self.log,
            task_type=self.topview_task_type,
        )
        if self._run_budget_given or self.run_budget is not None:
            check_covered(self.run_budget, estimate, map_index, self.upstream_task_ids)
        return estimate
