"""ImageToVideoSensor: wait for a TopView task of any task type (poke, reschedule or deferrable).

Imported at DAG parse time, so the hook, trigger and models are imported only when the sensor runs.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowSensorTimeout,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_topview.exceptions import RequestValidationError
from airflow_topview.links import VIDEO_LINKS, push_link, task_link
from airflow_topview.task_outcome import decides_outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context

    from airflow_topview.client.task_types import TaskType
    from airflow_topview.deferral import EndInTriggerer
    from airflow_topview.hooks.settings import TopviewHookSettings
    from airflow_topview.hooks.topview import TopviewHook
    from airflow_topview.waiting import StatusWatch


class ImageToVideoSensor(BaseSensorOperator):
    """Wait until a TopView task finishes; return the finished task (TopView's JSON) as ``return_value``.

    The task's ``videos`` hold ``filePath`` URLs (signed, they expire). A task that ends in ``fail`` fails
    the sensor with TopView's message. When some videos of a multi-video task failed, the sensor succeeds,
    logs a warning and lists them under ``failedVideos``; ``fail_on_partial=True`` fails it instead.
    Transient API errors while polling are logged and waited out.

    :param topview_task_id: the TopView task id (templated), usually ``submit.output``.
    :param topview_task_type: the task's type, ``image2video``, ``text2video`` or ``omni_reference`` (each
        has its own query endpoint). Unset: the type of the submits upstream (Image-to-Video when none is
        upstream); set it when submits of several types are upstream, or with ``start_from_trigger``.
    :param topview_conn_id: the ``topview`` connection.
    :param fail_on_partial: fail when any video of the task failed.
    :param deferrable: wait in the triggerer, holding no worker slot.
    :param max_poll_interval: deferrable only: let the poll interval grow up to this many seconds.
    :param hook_params: extra keyword arguments for the hooks (``retry_limit``, ``retry_delay``, ``timeout``).
    :param start_from_trigger: with ``deferrable=True``, start the wait straight in the triggerer: no worker
        runs before the wait, and a success ends the task there, so the sensor never holds a worker slot.
        Airflow renders ``topview_task_id`` there: text, or a template reading the run's conf or params;
        not an XCom (``submit.output``), which Airflow 3.3 cannot pull for a task starting in the
        triggerer (refused when the DAG is parsed). A mapped sensor and ``airflow dags test`` run it as an
        ordinary deferrable sensor (Airflow starts only unmapped tasks in the triggerer).
    """

    template_fields: Sequence[str] = ("topview_task_id", "topview_task_type")
    operator_extra_links = VIDEO_LINKS
    ui_color = "#e8dcff"

    def __init__(
        self,
        *,
        topview_task_id: str,
        topview_task_type: str | None = None,
        topview_conn_id: str = "topview_default",
        fail_on_partial: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        max_poll_interval: float | None = None,
        hook_params: dict[str, Any] | None = None,
        start_from_trigger: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 10.0)
        super().__init__(**kwargs)
        self.topview_task_id = topview_task_id
        self.topview_task_type = topview_task_type
        self.topview_conn_id = topview_conn_id
        self.fail_on_partial = fail_on_partial
        self.deferrable = deferrable
        self.max_poll_interval = max_poll_interval
        self.hook_params = hook_params or {}
        if start_from_trigger:
            self._start_in_triggerer()

    def _start_in_triggerer(self) -> None:
        """Airflow's ``start_from_trigger``: the trigger's kwargs are fixed here, at parse time."""
        from airflow.triggers.base import StartTriggerArgs

        from airflow_topview.client.task_types import IMAGE_TO_VIDEO, task_type_of
        from airflow_topview.hooks.settings import TopviewHookSettings
        from airflow_topview.settings import check_waiting

        if not self.deferrable:
            raise ValueError(f"{self.task_id}: start_from_trigger=True needs deferrable=True")
        check_waiting(
            poll_interval=self.poke_interval, timeout=self.timeout, max_poll_interval=self.max_poll_interval
        )
        self.start_from_trigger = True
        self.start_trigger_args = StartTriggerArgs(
            trigger_cls="airflow_topview.triggers.image_to_video.ImageToVideoTrigger",
            trigger_kwargs={
                "topview_task_id": _trigger_task_id(self.topview_task_id, self.task_id),
                "end_time": None,
                "timeout": self.timeout,
                "topview_conn_id": self.topview_conn_id,
                "poll_interval": self.poke_interval,
                "max_poll_interval": self.max_poll_interval,
                "hook_params": TopviewHookSettings.of(self.hook_params).as_hook_params(),
                "end_task": self._end_task(),
                # Upstream tasks are not known yet while the operator is built: the type must be given.
                "task_type": task_type_of(self.topview_task_type or IMAGE_TO_VIDEO.key).key,
            },
            next_method="execute_complete",
            next_kwargs=None,
            timeout=None,
        )

    def _end_task(self) -> EndInTriggerer:
        return {
            "returns": "result",
            "fail_on_partial": self.fail_on_partial,
            "model": None,
            "estimated_credits": None,
        }

    @cached_property
    def hook_settings(self) -> TopviewHookSettings:
        """``hook_params`` checked once (a bad one raises RequestValidationError naming it)."""
        from airflow_topview.hooks.settings import TopviewHookSettings

        return TopviewHookSettings.of(self.hook_params)

    @cached_property
    def hook(self) -> TopviewHook:
        from airflow_topview.hooks.topview import TopviewHook

        return TopviewHook(self.topview_conn_id, settings=self.hook_settings)

    @cached_property
    def topview_type(self) -> TaskType:
        """The task type read: ``topview_task_type``, else the upstream submits' (checked before requests)."""
        from airflow_topview.operators.upstream import task_type_to_read

        return task_type_to_read(self, self.topview_task_type)

    @cached_property
    def _watch(self) -> StatusWatch:
        from airflow_topview.waiting import StatusWatch

        return StatusWatch(self._checked_task_id(), self.log, self.topview_type)

    def _checked_task_id(self) -> str:
        from airflow_topview.waiting import require_task_id

        return require_task_id(self.topview_task_id)

    @decides_outcome
    def execute(self, context: Context) -> Any:
        from airflow_topview.settings import check_config, check_waiting

        topview_task_id = self._checked_task_id()
        if (
            self.start_from_trigger
            and self.topview_task_type is None
            and self.topview_type.key != "image2video"
        ):
            # In a deployment this sensor starts in the triggerer, at Image-to-Video's endpoint.
            raise RequestValidationError(
                f"topview_task_type: start_from_trigger=True waits for Image-to-Video unless told otherwise, "
                f"but the submit upstream is {self.topview_type.label}: set topview_task_type="
                f"{self.topview_type.key!r}"
            )
        self.topview_type  # noqa: B018 (checked here, before anything is sent)
        check_config()
        push_link(context["ti"], task_link(topview_task_id))
        check_waiting(
            poll_interval=self.poke_interval,
            timeout=self.timeout,
            max_poll_interval=self.max_poll_interval,
        )
        self.hook_settings  # noqa: B018 (checked here, before anything is sent)
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout:
                from airflow_topview.waiting import timeout_message

                last_status = self._watch.last_status if "_watch" in vars(self) else None
                raise AirflowSensorTimeout(timeout_message(topview_task_id, last_status)) from None
        from airflow_topview.triggers.image_to_video import defer_until_finished
        from airflow_topview.waiting import poll_once

        # One look first, as the official deferrable sensors do: a finished task needs no deferral.
        if (event := poll_once(self.hook, self._watch)) is not None:
            return self.execute_complete(context, event)
        defer_until_finished(
            self,
            topview_task_id,
            timeout=self.timeout,
            topview_conn_id=self.topview_conn_id,
            poll_interval=self.poke_interval,
            max_poll_interval=self.max_poll_interval,
            hook_params=self.hook_settings.as_hook_params(),
            task_type=self.topview_type.key,
            end_task=self._end_task(),
        )

    @decides_outcome
    def poke(self, context: Context) -> PokeReturnValue | bool:
        from airflow_topview.waiting import poll_once

        event = poll_once(self.hook, self._watch)
        if event is None:
            return False
        return PokeReturnValue(is_done=True, xcom_value=self._finish(event, context))

    @decides_outcome
    def execute_complete(self, context: Context, event: Any) -> dict[str, Any]:
        """Resume after the trigger, whose event names the task and its outcome (``airflow dags test``
        drops defer kwargs); a success is read once, for its videos."""
        from airflow_topview.exceptions import TopviewWaitTimeout

        try:
            return self._finish(event, context)
        except TopviewWaitTimeout as exc:
            raise AirflowSensorTimeout(str(exc)) from None

    def _finish(self, event: Any, context: Context) -> dict[str, Any]:
        from airflow_topview.deferral import finish_on_worker, resumed_event
        from airflow_topview.waiting import result_from_event

        checked = resumed_event(event, self.hook, self.topview_type, self.log)
        result = result_from_event(checked, fail_on_partial=self.fail_on_partial, log=self.log)
        finish_on_worker(self, context["ti"], result, self._checked_task_id(), "result")
        return result


def _trigger_task_id(topview_task_id: Any, task_id: str) -> Any:
    """``topview_task_id`` as a starting trigger takes it: text, or a template Airflow renders there.

    Airflow 3.3 hands an ``XComArg`` to a starting trigger unresolved, and renders an ``xcom_pull``
    template on the triggerer's event loop, where the pull waits for that same loop: the triggerer's
    every trigger stops. Both are refused here, when the DAG is parsed.
    """
    from airflow.sdk import XComArg

    if isinstance(topview_task_id, XComArg) or "xcom" in str(topview_task_id).lower():
        raise ValueError(
            f"{task_id}: start_from_trigger=True cannot take topview_task_id from an XCom "
            f"({topview_task_id!r}): Airflow 3.3 cannot pull XComs for a task that starts in the "
            "triggerer. Pass the id as text or through the run's conf or params "
            "(\"{{ dag_run.conf['topview_task_id'] }}\"), or leave start_from_trigger off."
        )
    return topview_task_id
