"""Everything the simulator remembers: journal, faults, files, tasks, credits, callback deliveries.

One re-entrant lock guards it all, because tests read and change it from their own thread while the
server's event loop serves requests. Each change bumps ``version`` and wakes ``changed`` waiters, which
is what ``TopviewSimulator.wait_for`` sleeps on.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from importlib import resources
from threading import Condition, RLock
from typing import TYPE_CHECKING, Any

from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.testing import lifecycle
from airflow_topview.testing.faults import Fault, FaultBook
from airflow_topview.testing.lifecycle import (
    ACTIVE_STATUSES,
    DEFAULT_TASK_ERROR,
    Outcome,
    TaskRecord,
    TaskScript,
    VideoRecord,
    new_id,
    video_size,
)
from airflow_topview.testing.model_names import ModelBook
from airflow_topview.testing.pricing import task_cost
from airflow_topview.testing.records import CallbackRecord, FileRecord, JournalEntry
from airflow_topview.testing.signing import UrlSigner
from airflow_topview.testing.validation import ApiError, SubmitRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [  # the records live in lifecycle and records; re-exported for existing imports
    "ACTIVE_STATUSES",
    "DEFAULT_TASK_ERROR",
    "CallbackRecord",
    "FileRecord",
    "JournalEntry",
    "Outcome",
    "SimulatorState",
    "TaskRecord",
    "TaskScript",
    "VideoRecord",
    "video_size",
]


_YEAR = 365 * 24 * 3600


@cache
def sample_video() -> bytes:
    """The tiny H.264 MP4 served for every generated video by default."""
    return resources.files("airflow_topview.testing").joinpath("assets/sample.mp4").read_bytes()


class SimulatorState:
    """The simulator's memory and rules, independent of HTTP."""

    def __init__(
        self,
        *,
        polls_to_finish: int,
        seconds_to_finish: float | None,
        upload_check_lag: int,
        max_running: int | None,
        credits: float,
        video_bytes: bytes | None = None,
        accept_any_model: bool = False,
    ) -> None:
        if polls_to_finish < 1:
            raise ValueError("polls_to_finish must be >= 1")
        self.lock = RLock()
        self.changed = Condition(self.lock)
        self.version = 0
        self.polls_to_finish = polls_to_finish
        self.seconds_to_finish = seconds_to_finish
        self.upload_check_lag = upload_check_lag
        self.max_running = max_running
        self.initial_credits = credits
        self.credits = credits
        #: ``expiredTime`` of the credit detail: when the plan's credits lapse (a year from start).
        self.credits_expire_at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + _YEAR))
        self.signer = UrlSigner()
        #: The file every generated video downloads as (default: the bundled tiny MP4).
        self.video_bytes = sample_video() if video_bytes is None else video_bytes
        self.base_url = ""
        #: Called (under the lock) with (noticeUrl, payload) when a task with a noticeUrl finishes.
        self.on_complete: Callable[[str, dict[str, Any]], None] | None = None
        self.faults = FaultBook()
        #: The model spellings a submit may use (kept across reset(), like the other knobs).
        self.models = ModelBook(accept_any=accept_any_model)
        self.journal: list[JournalEntry] = []
        self._journal_epoch = 0
        self.files: dict[str, FileRecord] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.scripts: deque[TaskScript] = deque()
        self.callbacks: list[CallbackRecord] = []

    @contextmanager
    def mutate(self) -> Iterator[None]:
        """Hold the lock for a change and wake waiters afterwards."""
        with self.lock:
            try:
                yield
            finally:
                self.version += 1
                self.changed.notify_all()

    def reset(self) -> None:
        with self.mutate():
            self.faults.clear()
            self.journal.clear()
            self._journal_epoch += 1
            self.files.clear()
            self.tasks.clear()
            self.scripts.clear()
            self.callbacks.clear()
            self.credits = self.initial_credits

    # journal -----------------------------------------------------------------------------------
    def journal_open(self, entry: JournalEntry) -> tuple[int, int]:
        """Append an in-flight entry (arrival order) and return its slot."""
        with self.mutate():
            self.journal.append(entry)
            return self._journal_epoch, len(self.journal) - 1

    def journal_update(self, slot: tuple[int, int], entry: JournalEntry) -> None:
        """Replace the entry in ``slot`` (still in flight or answered), unless reset() cleared the journal."""
        epoch, index = slot
        with self.mutate():
            if epoch == self._journal_epoch:
                self.journal[index] = entry

    journal_close = journal_update  # the final update, once answered

    # faults ------------------------------------------------------------------------------------
    def inject(self, endpoint: str, fault: Fault, times: int | None) -> None:
        with self.mutate():
            self.faults.inject(endpoint, fault, times)

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.mutate():
            return self.faults.take(endpoint)

    # files -------------------------------------------------------------------------------------
    def new_file(self, fmt: str, *, ready: bool = False) -> FileRecord:
        record = FileRecord(file_id=new_id(), format=fmt, uploaded=ready, checked=ready)
        with self.mutate():
            self.files[record.file_id] = record
        return replace(record)

    def record_upload(self, file_id: str, size: int, sha256: str) -> None:
        with self.mutate():
            record = self.files[file_id]
            record.uploaded, record.size, record.sha256 = True, size, sha256
            record.checks_after_upload = 0

    def check_file(self, file_id: str) -> bool:
        """Answer of the check endpoint: True once uploaded and ``upload_check_lag`` checks have passed."""
        with self.mutate():
            record = self.files.get(file_id)
            if record is None:
                raise ApiError("4004", f"fileId: file not found: {file_id}")
            if not record.uploaded:
                return False
            if record.checks_after_upload < self.upload_check_lag:
                record.checks_after_upload += 1
                return False
            record.checked = True
            return True

    # tasks -------------------------------------------------------------------------------------
    def script_next(self, script: TaskScript) -> None:
        with self.mutate():
            self.scripts.append(script)

    def submit(self, request: SubmitRequest) -> TaskRecord:
        """Create a task after the server-side checks (model of its task type, files, concurrency, credits).

        The concurrency limit (4007) and the credits are the account's, shared by every task type [guess]."""
        with self.mutate():
            self.models.check(request.model, request.task_type)
            for name, file_id in request.file_ids():
                record = self.files.get(file_id)
                if record is None or not record.checked:
                    raise ApiError("4004", f"{name}: file not found or not uploaded: {file_id}")
            active = sum(1 for task in self.tasks.values() if not task.finished)
            if self.max_running is not None and active >= self.max_running:
                raise ApiError("4007", "an unfinished task exists, please wait")
            cost = task_cost(
                request.model,
                request.resolution,
                request.sound,
                request.duration,
                request.generating_count,
                request.task_type,
            )
            available = self.credits - self.reserved()
            if cost > available:
                raise ApiError("4100", f"credits: not enough credits (needs {cost}, remaining {available})")
            script = self.scripts.popleft() if self.scripts else TaskScript()
            seconds = None if script.statuses is not None else self.seconds_to_finish
            polls = None if script.statuses is not None or seconds is not None else self.polls_to_finish
            task = TaskRecord(
                task_id=new_id(),
                request=request,
                script=script,
                estimated_cost=cost,
                polls_to_finish=polls,
                due_at=None if seconds is None else time.monotonic() + seconds,
                notice_uuid=str(uuid.uuid4()) if request.notice_url else None,
            )
            self.tasks[task.task_id] = task
            return copy.deepcopy(task)

    def reserved(self) -> float:
        """Credits held for unfinished tasks: a submit reserves its estimate until the task ends, so
        concurrent submits cannot overspend and a credit check mid-task shows the hold."""
        with self.lock:
            return sum(task.estimated_cost for task in self.tasks.values() if not task.finished)

    def query(self, task_id: str, base_url: str, task_type: str = IMAGE_TO_VIDEO.key) -> dict[str, Any]:
        """Answer of ``task_type``'s query endpoint; a poll advances the task's lifecycle. A task of
        another task type is not found there (4004, as an unknown id) [guess: TopView's answer is unknown]."""
        with self.mutate():
            task = self.tasks.get(task_id)
            if task is None or task.task_type != task_type:
                raise ApiError("4004", f"taskId: task not found: {task_id}")
            if lifecycle.poll(task, time.monotonic()):
                self._complete(task)
            return lifecycle.query_result(task, self.signer, base_url)

    def complete_due(self, now: float) -> None:
        """Finish time-based tasks whose time has come (called by the simulator's ticker)."""
        with self.lock:  # look first without mutate(): waking every waiter on each tick would be noise
            due = [task for task in self.tasks.values() if lifecycle.is_due(task, now)]
            if not due:
                return
        with self.mutate():
            for task in due:
                if not task.finished:
                    self._complete(task)

    def finish(self, task_id: str) -> TaskRecord:
        with self.mutate():
            task = self.tasks[task_id]
            if not task.finished:
                self._complete(task)
            return copy.deepcopy(task)

    def snapshot_tasks(self) -> dict[str, TaskRecord]:
        with self.lock:
            return copy.deepcopy(self.tasks)

    def snapshot_files(self) -> dict[str, FileRecord]:
        with self.lock:
            return {file_id: replace(record) for file_id, record in self.files.items()}

    def upload_allowed(self, file_id: str, signature: str) -> bool:
        with self.lock:
            return file_id in self.files and self.signer.check_upload(file_id, signature)

    def video_available(self, task_id: str, index: int) -> bool:
        with self.lock:
            task = self.tasks.get(task_id)
            return (
                task is not None and 0 <= index < len(task.videos) and task.videos[index].status == "success"
            )

    def _complete(self, task: TaskRecord) -> None:
        self.credits -= lifecycle.complete(task)
        if task.request.notice_url and self.on_complete is not None:
            self.on_complete(
                task.request.notice_url, lifecycle.notice_payload(task, self.signer, self.base_url)
            )

    # callbacks ---------------------------------------------------------------------------------
    def record_callback(self, record: CallbackRecord) -> None:
        with self.mutate():
            self.callbacks.append(record)
