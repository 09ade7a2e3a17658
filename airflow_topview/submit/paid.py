"""The paid submit: reuse what an earlier try of the task submitted, or journal a new submit and send it.

TopView has no idempotency key, so the journal in ``task_state_store`` (:mod:`.journal`) is what
stands between an Airflow retry and a second charge. The rules are in :meth:`PaidSubmit.resume_or_submit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from airflow_topview import metrics
from airflow_topview.client.redaction import shown_body, without_query
from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import (
    TopviewAPIError,
    TopviewChangedRequestError,
    TopviewError,
    TopviewSubmitUncertainError,
)
from airflow_topview.submit.journal import SubmitJournal, SubmitRecord, fingerprint
from airflow_topview.waiting import WaitEvent, WaitStatus, event_for, make_event

if TYPE_CHECKING:
    from airflow.sdk.types import Logger

    from airflow_topview.client.request_base import SubmitRequest
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.hooks.topview import TopviewHook
    from airflow_topview.submit.journal_copy import JournalCopy

#: The log line naming the TopView task a submit created: where to find the id when nothing else kept it.
ACCEPTED_LOG_PREFIX = "TopView accepted the task: topview_task_id="


class PaidSubmit:
    """One Airflow try's path to a TopView task id.

    :param store: the try's ``task_state_store`` (None before Airflow 3.3).
    :param try_number: the Airflow try, to refuse a blind resubmit where there is no store.
    :param on_uncertain_submit: ``"fail"`` or ``"resubmit"`` when an earlier submit's answer is unknown.
    :param wait_when_busy: False hands TopView's 4007 (concurrency limit) back at once, for a task that
        defers while it waits for a slot.
    :param max_tries: the task instance's ``max_tries``: a clear raises it, a retry keeps it.
    :param on_changed_request: on a retry (not a clear) whose request rendered differently while an
        earlier try's task runs or succeeded: ``"reuse"`` that task, ``"resubmit"``, or ``"fail"``.
    :param journal_cleared_on_success: Airflow deletes the task's state when it succeeds
        (``[state_store] clear_on_success``): an empty journal on a later try proves nothing.
    :param copy: the journal's copy where a clear does not reach (:mod:`.journal_copy`).
    :param durable: False sends a new submit on every try, without a journal (Airflow's
        ``ResumableJobMixin(durable=False)``): each try may pay.
    :param task_type: the kind of TopView task submitted (its endpoints).
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
        max_tries: int | None = None,
        on_changed_request: Literal["reuse", "resubmit", "fail"] = "reuse",
        journal_cleared_on_success: bool = False,
        copy: JournalCopy | None = None,
        durable: bool = True,
        task_type: TaskType = IMAGE_TO_VIDEO,
    ) -> None:
        self.hook = hook
        self.log = log
        self.durable = durable
        self.task_type = task_type
        self.journal = SubmitJournal(store if durable else None, copy)
        self.try_number = try_number
        self.on_uncertain_submit = on_uncertain_submit
        self.wait_when_busy = wait_when_busy
        self.max_tries = max_tries
        self.on_changed_request = on_changed_request
        self.journal_cleared_on_success = journal_cleared_on_success
        self.notice_uuid: str | None = None
        #: Whether this try sent a new submit (False when it reuses an earlier try's task).
        self.submitted = False

    def resume_or_submit(
        self, request: SubmitRequest, *, identity: SubmitRequest | None = None
    ) -> tuple[str, WaitEvent | None]:
        """The TopView task id, and its final event when an earlier try's task already succeeded.

        - A submit sent without a recorded answer: fail as uncertain, whatever the request is now,
          unless ``on_uncertain_submit="resubmit"``.
        - The same request submitted before (by any earlier try or clear): running -> wait for it,
          succeeded -> reuse it, failed -> submit anew; unknown to TopView (4004) -> uncertain.
        - A retry whose request rendered differently (a random seed, the time) while the earlier try's
          task runs or succeeded: ``on_changed_request`` ("reuse" by default). After a clear a really
          changed request is submitted anew: a video made for other input is never reused.
        """
        # ``identity``: the request as the user gave it (before catalog spellings), so that an upgrade or a
        # models file that changes how a model is spelled does not make the same request look new.
        body_fingerprint = fingerprint((identity or request).to_body(), self.task_type.key)
        if not self.durable:
            self.log.warning(
                "durable=False: submitting a new TopView task without reading or writing the submit journal; "
                "every try of this task pays for its own task"
            )
            return self._submit(request, body_fingerprint), None
        if not self.journal.available:
            self._without_journal()
        if self.try_number == 1:
            self.journal.discard_copy()
        records = self.journal.read(from_copy=self.try_number > 1)
        if self.journal.restored_from_copy:
            self.log.warning(
                "This task's state store has no submit journal, but its copy in Variable %s has %d "
                "submit(s): a clear discarded the task's state (Airflow 3.4+ does unless 'keep task state' "
                "is ticked). Reading the copy, so the same request is not paid for twice",
                self.journal.copy_key,
                len(records),
            )
        if not records and self.journal_cleared_on_success and self.try_number > 1:
            self._journal_cleared_on_success()
        unanswered = [record for record in records if record.topview_task_id is None]
        if unanswered:
            self._uncertain_earlier_submit(unanswered[-1])
        answered = [record for record in records if record.topview_task_id is not None]
        if not answered:
            metrics.resumable("fresh_submit")
        for record in reversed(answered):
            if record.fingerprint in (None, body_fingerprint):
                found = self._reuse(record, self._earlier_task_event(record), "An earlier try submitted")
                if found is not None:
                    return found
                break
        else:
            if answered and self._is_retry(answered[-1]):
                found = self._changed_on_retry(answered[-1])
                if found is not None:
                    return found
            elif answered:
                self.log.warning(
                    "An earlier try submitted TopView task %s at %s for a different request (the rendered "
                    "parameters changed since the task was cleared): submitting anew instead of reusing it",
                    answered[-1].topview_task_id,
                    answered[-1].attempted_at,
                )
        return self._submit(request, body_fingerprint), None

    def _is_retry(self, record: SubmitRecord) -> bool:
        """A retry of the try that sent ``record`` (a clear raises ``max_tries``; a retry keeps it)."""
        return record.max_tries is not None and record.max_tries == self.max_tries

    def _reuse(
        self, record: SubmitRecord, earlier: WaitEvent | None, what: str
    ) -> tuple[str, WaitEvent | None] | None:
        """The earlier task's id (and final event when it succeeded), or None when it ended without video."""
        task_id = record.topview_task_id
        assert task_id is not None
        self.notice_uuid = record.notice_uuid
        metrics.resumable("reconnect_attempt")
        if earlier is None:
            metrics.resumable("reconnect_success")
            self.log.info(
                "%s TopView task %s; still running, waiting for it (reconnecting to existing job)",
                what,
                task_id,
            )
            return task_id, None
        if earlier["status"] == WaitStatus.SUCCESS:
            metrics.resumable("already_succeeded")
            self.log.info(
                "%s TopView task %s and it succeeded; not resubmitting (job already completed "
                "successfully, skipping resubmission)",
                what,
                task_id,
            )
            return task_id, earlier
        metrics.resumable("terminal_resubmit")
        self.notice_uuid = None
        self.log.warning(
            "TopView task %s of an earlier try ended (%s); submitting anew (prior job in terminal state, "
            "resubmitting fresh)",
            task_id,
            earlier,
        )
        return None

    def _changed_on_retry(self, record: SubmitRecord) -> tuple[str, WaitEvent | None] | None:
        """A retry rendered another request: no second paid task while the first runs or succeeded."""
        what = (
            f"This retry's request rendered differently from the one an earlier try of the same run sent "
            f"at {record.attempted_at} (a template that changes between tries: a random value, the time, "
            "the try number)"
        )
        earlier = self._earlier_task_event(record)
        if earlier is not None and earlier["status"] != WaitStatus.SUCCESS:
            self.log.warning(
                "%s; its TopView task %s ended (%s): submitting anew", what, record.topview_task_id, earlier
            )
            return None
        state = "is still running" if earlier is None else "succeeded"
        if self.on_changed_request == "resubmit":
            self.log.warning(
                "%s; its TopView task %s %s, but on_changed_request='resubmit': submitting anew",
                what,
                record.topview_task_id,
                state,
            )
            return None
        if self.on_changed_request == "fail":
            raise TopviewChangedRequestError(
                f"{what}, and its TopView task {record.topview_task_id} {state}. Not submitting a second "
                "paid task (on_changed_request='fail'): make the templates render the same on every try, "
                "or set on_changed_request='reuse' or 'resubmit'."
            )
        return self._reuse(
            record, earlier, f"{what}; reusing (on_changed_request='reuse'): an earlier try submitted"
        )

    def _journal_cleared_on_success(self) -> None:
        """``[state_store] clear_on_success``: a succeeded try left no journal for this try to read."""
        if self.on_uncertain_submit == "resubmit":
            self.log.warning(
                "Try %d finds no submit journal, and [state_store] clear_on_success deletes it when a try "
                "succeeds: an earlier try may have paid for a task; submitting as "
                "on_uncertain_submit='resubmit'",
                self.try_number,
            )
            return
        raise TopviewSubmitUncertainError(
            f"Not submitting: this is try {self.try_number} of the task and its submit journal is empty, "
            "but Airflow is set to delete a task's state when it succeeds ([state_store] clear_on_success "
            "= True), so an earlier try may have submitted (and paid for) a TopView task this try cannot "
            f"see. Find its id in the earlier try's log ('{ACCEPTED_LOG_PREFIX}<id>') and pass it to "
            f"ImageToVideoSensor or DownloadVideosOperator (topview_task_type={self.task_type.key!r}); "
            "to submit anyway, set "
            "on_uncertain_submit='resubmit'; or turn clear_on_success off."
        )

    def _without_journal(self) -> None:
        """No ``task_state_store`` (Airflow < 3.3): a later try cannot know what an earlier one paid for.

        A first try submits as usual. Any later try (a retry, or a clear) fails as uncertain, without a
        request, unless ``on_uncertain_submit="resubmit"``: the earlier try may have created a task.
        """
        if self.try_number > 1 and self.on_uncertain_submit != "resubmit":
            raise TopviewSubmitUncertainError(
                f"Not submitting again: this is try {self.try_number} of the task, and whether an earlier "
                "try already submitted (and paid for) a TopView task is uncertain, because this Airflow "
                "has no task_state_store to journal the submit in (it came in Airflow 3.3). Find the "
                f"earlier try's task id in its log, on the line '{ACCEPTED_LOG_PREFIX}<id>'; to reuse "
                f"that task, pass the id to ImageToVideoSensor(topview_task_id=..., topview_task_type="
                f"{self.task_type.key!r}) or DownloadVideosOperator instead of submitting. A log with "
                f"'Submitting TopView {self.task_type.label} task' but no task id may still have created "
                "one: look in the TopView web app. To submit anyway (a possible second charge), set "
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
            raise TopviewSubmitUncertainError(
                f"{what}. Not submitting again. Look in the TopView web app for a task submitted at that "
                "time; to submit anyway, set on_uncertain_submit='resubmit'."
            )
        self.log.warning("%s; submitting again as on_uncertain_submit='resubmit'", what)

    def _earlier_task_event(self, record: SubmitRecord) -> WaitEvent | None:
        """Status of an earlier try's task: None while running, else its final event.

        TopView answering 4004 for a task it created proves nothing about what it will bill: the task is
        treated as an uncertain submit (fail, unless ``on_uncertain_submit="resubmit"``).
        """
        topview_task_id = record.topview_task_id
        assert topview_task_id is not None
        try:
            return event_for(self.hook.get_task(self.task_type, topview_task_id))
        except TopviewAPIError as exc:
            if exc.code != "4004":
                raise
            what = (
                f"TopView answered 4004 (not found) for task {topview_task_id}, which an earlier try "
                f"submitted at {record.attempted_at}; the task may still run and be billed"
            )
            if self.on_uncertain_submit != "resubmit":
                raise TopviewSubmitUncertainError(
                    f"{what}. Not submitting again; look it up in the TopView web app, or set "
                    "on_uncertain_submit='resubmit' to accept a possible second charge."
                ) from None
            self.log.warning("%s; submitting again as on_uncertain_submit='resubmit'", what)
            return make_event(WaitStatus.GONE, topview_task_id, message=str(exc))

    def _submit(self, request: SubmitRequest, body_fingerprint: str) -> str:
        """Check the callback URL, journal the intent, submit, journal the answer.

        A failure that proves nothing was created (a refusal, busy past busy_timeout, never sent) clears
        the intent; an uncertain one keeps it, so that a retry does not pay blindly.
        """
        if request.notice_url:
            self.hook.check_notice_url(request.notice_url)
            self.log.info("TopView accepted the callback URL %s", without_query(request.notice_url))
        self.hook.prepare()  # local setup that can fail (connection, extras) fails before the journal
        record = self.journal.intent(body_fingerprint, self.max_tries)
        self.log.info("Submitting TopView %s task: %s", self.task_type.label, shown_body(request.to_body()))
        try:
            result = self.hook.submit_task(self.task_type, request, wait_when_busy=self.wait_when_busy)
        except TopviewSubmitUncertainError as exc:
            metrics.count(metrics.UNCERTAIN_SUBMITS, model=request.model)
            raise TopviewSubmitUncertainError(f"{exc} (submit sent at {record.attempted_at})") from None
        except TopviewError:
            self.journal.forget(record)
            raise
        self.log.info("%s%s", ACCEPTED_LOG_PREFIX, result.task_id)  # before anything else
        self.journal.answered(record, result.task_id, notice_uuid=result.notice_uuid)
        self.submitted = True
        metrics.count(metrics.SUBMITS, model=request.model)
        self.notice_uuid = result.notice_uuid
        return result.task_id
