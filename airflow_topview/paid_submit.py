"""The paid submit: reuse what an earlier try of the task submitted, or journal a new submit and send it.

TopView has no idempotency key, so the journal in ``task_state_store`` (:mod:`.submit_journal`) is what
stands between an Airflow retry and a second charge. The rules are in :meth:`PaidSubmit.resume_or_submit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_topview import metrics
from airflow_topview.events import WaitEvent, WaitStatus, make_event
from airflow_topview.exceptions import TopviewAPIError, TopviewError, TopviewSubmitUncertainError
from airflow_topview.outcome import event_for, permanent_errors_fail_task
from airflow_topview.submit_journal import SubmitJournal, SubmitRecord, fingerprint

if TYPE_CHECKING:
    from airflow.sdk.types import Logger

    from airflow_topview.hooks.topview import TopviewHook
    from airflow_topview.models import ImageToVideoRequest

#: The log line naming the TopView task a submit created: where to find the id when nothing else kept it.
ACCEPTED_LOG_PREFIX = "TopView accepted the task: topview_task_id="


class PaidSubmit:
    """One Airflow try's path to a TopView task id.

    :param store: the try's ``task_state_store`` (None before Airflow 3.3).
    :param try_number: the Airflow try, to refuse a blind resubmit where there is no store.
    :param on_uncertain_submit: ``"fail"`` or ``"resubmit"`` when an earlier submit's answer is unknown.
    :param wait_when_busy: False hands TopView's 4007 (concurrency limit) back at once, for a task that
        defers while it waits for a slot.
    """

    def __init__(
        self,
        hook: TopviewHook,
        log: Logger,
        *,
        store: Any | None,
        try_number: int,
        on_uncertain_submit: Literal["fail", "resubmit"],
        wait_when_busy: bool = True,
    ) -> None:
        self.hook = hook
        self.log = log
        self.journal = SubmitJournal(store)
        self.try_number = try_number
        self.on_uncertain_submit = on_uncertain_submit
        self.wait_when_busy = wait_when_busy
        self.notice_uuid: str | None = None
        #: Whether this try sent a new submit (False when it reuses an earlier try's task).
        self.submitted = False

    def resume_or_submit(
        self, request: ImageToVideoRequest, *, identity: ImageToVideoRequest | None = None
    ) -> tuple[str, WaitEvent | None]:
        """The TopView task id, and its final event when an earlier try's task already succeeded.

        Same request and a known task: running -> wait for it, succeeded -> reuse it, failed or gone ->
        submit anew. Changed request: submit anew. Same request sent without a recorded answer: fail as
        uncertain (even when the request changed since), unless ``on_uncertain_submit="resubmit"``.
        """
        # ``identity``: the request as the user gave it (before catalog spellings), so that an upgrade or a
        # models file that changes how a model is spelled does not make the same request look new.
        body_fingerprint = fingerprint((identity or request).to_body())
        if not self.journal.available:
            self._without_journal()
        previous = self.journal.read()
        if previous is not None and previous.topview_task_id is None:
            # Whatever the request is now: an unanswered submit may have paid for a task.
            self._uncertain_earlier_submit(previous)
        elif previous is not None and previous.fingerprint not in (None, body_fingerprint):
            self.log.warning(
                "An earlier try submitted TopView task %s at %s for a different request (the rendered "
                "parameters changed): submitting anew instead of reusing it",
                previous.topview_task_id,
                previous.attempted_at,
            )
        elif previous is not None and previous.topview_task_id is not None:
            task_id = previous.topview_task_id
            earlier = self._earlier_task_event(task_id)
            if earlier is None:
                self.log.info(
                    "An earlier try submitted TopView task %s; still running, waiting for it", task_id
                )
                self.notice_uuid = previous.notice_uuid
                return task_id, None
            if earlier["status"] == WaitStatus.SUCCESS:
                self.log.info(
                    "An earlier try submitted TopView task %s and it succeeded; not resubmitting", task_id
                )
                self.notice_uuid = previous.notice_uuid
                return task_id, earlier
            self.log.warning(
                "TopView task %s of an earlier try ended (%s); submitting anew", task_id, earlier
            )
        return self._submit(request, body_fingerprint), None

    def _without_journal(self) -> None:
        """No ``task_state_store`` (Airflow < 3.3): a later try cannot know what an earlier one paid for.

        A first try submits as usual. Any later try (a retry, or a clear) fails as uncertain, without a
        request, unless ``on_uncertain_submit="resubmit"``: the earlier try may have created a task.
        """
        if self.try_number > 1 and self.on_uncertain_submit != "resubmit":
            raise AirflowFailException(
                f"Not submitting again: this is try {self.try_number} of the task, and whether an earlier "
                "try already submitted (and paid for) a TopView task is uncertain, because this Airflow "
                "has no task_state_store to journal the submit in (it came in Airflow 3.3). Find the "
                f"earlier try's task id in its log, on the line '{ACCEPTED_LOG_PREFIX}<id>'; to reuse "
                "that task, pass the id to ImageToVideoSensor(topview_task_id=...) or "
                "DownloadVideosOperator(topview_task_id=...) instead of submitting. A log with "
                "'Submitting TopView Image-to-Video task' but no task id may still have created one: look "
                "in the TopView web app. To submit anyway (a possible second charge), set "
                "on_uncertain_submit='resubmit'; on Airflow 3.3+ a retry reuses the earlier task by itself."
            )
        self.log.warning(
            "This Airflow has no task_state_store (it came in Airflow 3.3): a retry or clear of this task "
            "cannot see this submit, so it fails as uncertain instead of paying twice (unless "
            "on_uncertain_submit='resubmit'). The TopView task id is logged below ('%s<id>').",
            ACCEPTED_LOG_PREFIX,
        )

    def _uncertain_earlier_submit(self, previous: SubmitRecord) -> None:
        """An earlier try sent this request and never recorded the answer: fail, or resubmit if allowed."""
        what = (
            f"An earlier try of this task sent the same submit at {previous.attempted_at} and never recorded "
            "TopView's answer (worker killed or timed out, or an answer that did not show the outcome): "
            "TopView may have created, and billed, a task whose id is unknown (topview_task_id unknown)"
        )
        if self.on_uncertain_submit != "resubmit":
            raise AirflowFailException(
                f"{what}. Not submitting again. Look in the TopView web app for a task submitted at that "
                "time; to submit anyway, set on_uncertain_submit='resubmit'."
            )
        self.log.warning("%s; submitting again as on_uncertain_submit='resubmit'", what)

    def _earlier_task_event(self, topview_task_id: str) -> WaitEvent | None:
        """Status of an earlier try's task: None while running, else its final event (``gone`` if unknown)."""
        with permanent_errors_fail_task():
            try:
                return event_for(self.hook.get_image_to_video_task(topview_task_id))
            except TopviewAPIError as exc:
                if exc.code != "4004":
                    raise
                return make_event(WaitStatus.GONE, topview_task_id, message=str(exc))

    def _submit(self, request: ImageToVideoRequest, body_fingerprint: str) -> str:
        """Check the callback URL, journal the intent, submit, journal the answer.

        A failure that proves nothing was created (a refusal, busy past busy_timeout, never sent) clears
        the intent; an uncertain one keeps it, so that a retry does not pay blindly.
        """
        with permanent_errors_fail_task():
            if request.notice_url:
                self.hook.check_notice_url(request.notice_url)
                self.log.info("TopView accepted the callback URL %s", request.notice_url)
            self.hook.prepare()  # local setup that can fail (connection, extras) fails before the journal
            record = self.journal.intent(body_fingerprint)
            self.log.info("Submitting TopView Image-to-Video task: %s", request.to_body())
            try:
                result = self.hook.submit_image_to_video(request, wait_when_busy=self.wait_when_busy)
            except TopviewSubmitUncertainError as exc:
                metrics.count(metrics.UNCERTAIN_SUBMITS, model=request.model)
                raise TopviewSubmitUncertainError(f"{exc} (submit sent at {record.attempted_at})") from None
            except TopviewError:
                self.journal.forget()
                raise
        self.log.info("%s%s", ACCEPTED_LOG_PREFIX, result.task_id)  # before anything else
        self.journal.answered(record, result.task_id, notice_uuid=result.notice_uuid)
        self.submitted = True
        metrics.count(metrics.SUBMITS, model=request.model)
        self.notice_uuid = result.notice_uuid
        return result.task_id
