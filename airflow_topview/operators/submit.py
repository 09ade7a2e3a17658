"""The submit every TopView task type shares: render, check, pay once, wait, and tell downstream tasks.

A task type's operator only declares its body parameters (:attr:`TopviewSubmitOperator.body_parameters`)
and its :class:`~airflow_topview.client.task_types.TaskType`; the request model comes from the task type,
so there is one submit path, one journal and one wait for Image-to-Video, Text-to-Video and Omni
Reference. Imported at DAG parse time: the hook, HTTP clients and pydantic are imported in ``execute``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import conf

from airflow_topview import lineage
from airflow_topview.links import TOPVIEW_APP_URL, VIDEO_LINKS, push_link, task_link, video_link
from airflow_topview.operators.labels import set_label
from airflow_topview.operators.submit_base import TopviewSubmitOperatorBase
from airflow_topview.task_outcome import decides_outcome

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_topview.catalog import CreditEstimate
    from airflow_topview.client.request_base import SubmitRequest


class TopviewSubmitOperator(TopviewSubmitOperatorBase):
    """Submit one TopView task of :attr:`topview_task_type` and push its TopView task id to XCom.

    Not used in DAGs on its own: see
    :class:`~airflow_topview.operators.image_to_video.SubmitImageToVideoOperator`,
    :class:`~airflow_topview.operators.text_to_video.SubmitTextToVideoOperator` and
    :class:`~airflow_topview.operators.omni_reference.SubmitOmniReferenceOperator`.
    """

    #: Operator parameter names of the submit body, in the order TopView documents them.
    body_parameters: ClassVar[tuple[str, ...]]
    operator_extra_links = VIDEO_LINKS
    ui_color = "#e8dcff"
    # Rendered fields are stored again when the try ends: ``model`` as sent, mapped ids as a list.
    overwrite_rtif_after_execution = True

    def build_request(self) -> SubmitRequest:
        """Validate the rendered parameters into a submit body; bad input fails the task, no retry."""
        return self.topview_task_type.build_request(
            {name: getattr(self, name) for name in self.body_parameters}
        )

    def with_submit_name(self, request: SubmitRequest, *, announce: bool = True) -> SubmitRequest:
        """The request as sent (a known model by its submit name); the rendered fields then show it."""
        from airflow_topview.submit.model_checks import submit_spelling

        sent = submit_spelling(request, self.models_file, self.topview_task_type)
        if announce and sent.model != request.model:
            self.log.info("Model %r is sent to TopView as %r", request.model, sent.model)
        # Rendered template fields are written again after the try: show what crossed the wire (a mapped
        # upload's lazy sequence as the list it became).
        self.model = sent.model
        shown = sent.model_dump(mode="json", include=set(self.body_parameters))
        for name, value in shown.items():
            if isinstance(value, list):
                setattr(self, name, value)
        return sent

    @decides_outcome
    def execute(self, context: Context) -> str:
        from airflow_topview.client.retries import is_busy
        from airflow_topview.exceptions import TopviewAPIError
        from airflow_topview.submit.busy import clear_busy, defer_while_busy
        from airflow_topview.submit.journal import task_state_store
        from airflow_topview.submit.journal_copy import JournalCopy
        from airflow_topview.submit.paid import PaidSubmit
        from airflow_topview.submit.run_budget import NO_CREDITS, explain_no_credits
        from airflow_topview.waiting import StatusWatch, poll_once, poll_until_done

        push_link(context.get("ti"), TOPVIEW_APP_URL)
        given = self.build_request()
        self.check_settings()
        estimate = self.check_model_and_budget(given, getattr(context.get("ti"), "map_index", -1))
        request = self.with_submit_name(given)
        hook = self.hook
        try:
            store = task_state_store(context)
            # Busy waits defer only where their state survives the resumes (Airflow 3.3+).
            defer_when_busy = self.deferrable and store is not None
            ti = context["ti"]
            submitter = PaidSubmit(
                hook,
                self.log,
                store=store,
                try_number=getattr(ti, "try_number", 1) or 1,
                on_uncertain_submit=self.on_uncertain_submit,
                wait_when_busy=not defer_when_busy,
                max_tries=getattr(ti, "max_tries", None),
                on_changed_request=self.on_changed_request,
                journal_cleared_on_success=conf.getboolean("state_store", "clear_on_success", fallback=False),
                copy=JournalCopy.of(context),
                durable=self.durable,
                task_type=self.topview_task_type,
            )
            try:
                topview_task_id, finished = submitter.resume_or_submit(request, identity=given)
            except TopviewAPIError as exc:
                if defer_when_busy and is_busy(exc):
                    defer_while_busy(self, store, hook.retry_policy, exc)
                if exc.code == NO_CREDITS:
                    raise explain_no_credits(exc, self.run_budget) from None
                raise
            if defer_when_busy:
                clear_busy(store)
            context["ti"].xcom_push(key="task_id", value=topview_task_id)
            push_link(context["ti"], task_link(topview_task_id))
            if submitter.notice_uuid:
                context["ti"].xcom_push(key="notice_uuid", value=submitter.notice_uuid)
            context["ti"].xcom_push(key="estimated_credits", value=estimate.credits if estimate else None)
            # True when unset parameters were priced at their maximum: the estimate is "at most".
            upper_bound = estimate.upper_bound if estimate else None
            context["ti"].xcom_push(key="estimate_is_upper_bound", value=upper_bound)
            self._record_submit(context, request, topview_task_id, submitter.submitted, estimate)
            if not self.wait_for_completion:
                return topview_task_id
            if finished is None and self.deferrable:
                # A task that is already over (a fast generation) finishes here, without a deferral.
                finished = poll_once(hook, StatusWatch(topview_task_id, self.log, self.topview_task_type))
            if finished is None and self.deferrable:
                self._defer_until_done(topview_task_id, request.model, estimate)
            if finished is None:
                finished = poll_until_done(
                    hook, topview_task_id, self.log, self.poll_interval, self.timeout, self.topview_task_type
                )
        finally:
            hook.close()
        return self.execute_complete(context, finished)

    @decides_outcome
    def execute_complete(self, context: Context, event: Any) -> str:
        """Turn the final event into XCom ``result`` (or a failure); ``return_value`` stays the task id.

        A success usually ends the task in the triggerer instead (:mod:`airflow_topview.deferral`), with
        the same XComs; this runs for failures, for tasks whose success needs a worker, and on the worker.
        A trigger's success carries no video URLs: the finished task is read once here.
        """
        from airflow_topview.deferral import finish_on_worker, resumed_event
        from airflow_topview.waiting import result_from_event

        try:
            checked = resumed_event(event, self.hook, self.topview_task_type, self.log)
        finally:
            self.hook.close()
        request = self._request_after_wait()
        ti = context["ti"]
        estimated = ti.xcom_pull(task_ids=ti.task_id, key="estimated_credits", map_indexes=ti.map_index)
        result = result_from_event(
            checked,
            fail_on_partial=self.fail_on_partial,
            log=self.log,
            model=request.model if request is not None else None,
            estimated_credits=estimated,
            from_submit=True,
        )
        if video_link(result) is None:
            push_link(ti, task_link(checked["topview_task_id"]))
        finish_on_worker(self, ti, result, checked["topview_task_id"], "task_id")
        if self._lineage is None and request is not None:  # resumed after deferring: not recorded yet
            self._record_lineage_after_wait(request, checked["topview_task_id"])
        return checked["topview_task_id"]

    def _request_after_wait(self) -> SubmitRequest | None:
        """The request as sent, rendered anew by a resumed try, for metrics and lineage only.

        After the submit nothing but the video may fail the task: a models file broken since, or a
        template that renders differently now, costs a warning, never the paid task.
        """
        try:
            return self.with_submit_name(self.build_request(), announce=False)
        except Exception as exc:
            self.log.warning(
                "The submitted request could not be rendered again (%s): %s", type(exc).__name__, exc
            )
            return None

    def _record_submit(
        self,
        context: Context,
        request: SubmitRequest,
        topview_task_id: str,
        submitted: bool,
        estimate: CreditEstimate | None,
    ) -> None:
        """What downstream tasks, lineage and metrics learn of this submit (XCom ``request``)."""
        from airflow_topview import metrics
        from airflow_topview.lineage import REQUEST_XCOM_KEY, sent_request

        # A key templated into the prompt is masked in rendered fields by Airflow; here by the hook.
        shown = self.hook.redactor.data(sent_request(request, topview_task_id))
        set_label(context, request.prompt or request.model, self.hook.redactor.text)
        context["ti"].xcom_push(key=REQUEST_XCOM_KEY, value=shown)
        self.record_lineage(
            *lineage.submit_datasets(self.hook.base_url, request, topview_task_id, self.topview_task_type.key)
        )
        if submitted and estimate is not None:
            metrics.count(metrics.CREDITS_ESTIMATED, estimate.credits, model=request.model)

    def _record_lineage_after_wait(self, request: SubmitRequest, topview_task_id: str) -> None:
        """Lineage needs the API's address (the connection); it never fails a task TopView charged for."""
        hook = self.hook
        try:
            hook.get_conn()
            self.record_lineage(
                *lineage.submit_datasets(hook.base_url, request, topview_task_id, self.topview_task_type.key)
            )
        except Exception as exc:
            self.log.warning("Lineage of TopView task %s not recorded: %s", topview_task_id, exc)
        finally:
            hook.close()

    def resume_after_busy(self, context: Context, event: Any = None) -> str:
        """Back from a busy wait: run the whole try again (checks, journal, submit)."""
        return self.execute(context)

    def _defer_until_done(self, topview_task_id: str, model: str, estimate: CreditEstimate | None) -> None:
        from airflow_topview.triggers.image_to_video import defer_until_finished

        defer_until_finished(
            self,
            topview_task_id,
            timeout=self.timeout,
            topview_conn_id=self.topview_conn_id,
            poll_interval=self.poll_interval,
            hook_params=self.hook_settings.as_hook_params(),
            task_type=self.topview_task_type.key,
            end_task={
                "returns": "task_id",
                "fail_on_partial": self.fail_on_partial,
                "model": model,
                "estimated_credits": estimate.credits if estimate else None,
            },
        )
