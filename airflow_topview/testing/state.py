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
from dataclasses import dataclass, field, replace
from threading import Condition, RLock
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from airflow_topview.testing.faults import Fault, FaultBook
from airflow_topview.testing.pricing import task_cost
from airflow_topview.testing.signing import UrlSigner
from airflow_topview.testing.validation import DEFAULT_ASPECT_RATIO, ApiError, SubmitRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Outcome = Literal["success", "fail", "partial"]
ACTIVE_STATUSES = ("init", "running")
DEFAULT_TASK_ERROR = "video generation failed"

_REDACTED_HEADERS = ("authorization",)


@dataclass(frozen=True, repr=False)
class JournalEntry:
    """One request as the simulator received and answered it.

    ``status`` is the HTTP status answered (None while in flight or when the connection was dropped);
    ``code`` is the envelope code answered (None for non-envelope answers).
    """

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body_size: int
    status: int | None
    code: str | None
    received_at: float = 0.0  # time.monotonic() when the request arrived

    def __repr__(self) -> str:
        headers = {
            name: ("***" if name.lower() in _REDACTED_HEADERS else value)
            for name, value in self.headers.items()
        }
        return (
            f"JournalEntry(endpoint={self.endpoint!r}, method={self.method!r}, path={self.path!r}, "
            f"query={self.query!r}, headers={headers!r}, json={self.json!r}, body_size={self.body_size}, "
            f"status={self.status!r}, code={self.code!r})"
        )


class CallbackRecord(NamedTuple):
    """One callback delivery: target URL, JSON payload sent, HTTP status answered or the error text."""

    url: str
    payload: dict[str, Any]
    outcome: int | str


@dataclass
class FileRecord:
    """A file id handed out by the credential endpoint; only size and SHA-256 of the upload are kept."""

    file_id: str
    format: str
    uploaded: bool = False
    checked: bool = False
    size: int = 0
    sha256: str | None = None
    checks_after_upload: int = 0


@dataclass
class VideoRecord:
    index: int
    status: str
    width: int
    height: int
    duration: int
    error_msg: str | None = None
    board_task_id: str | None = None


@dataclass(frozen=True)
class TaskScript:
    """How the next submitted task ends."""

    outcome: Outcome = "success"
    error_msg: str | None = None
    failed_videos: tuple[int, ...] = ()


@dataclass
class TaskRecord:
    """A generation task. ``cost`` is what the API reports as ``costCredit`` (None until finished)."""

    task_id: str
    request: SubmitRequest
    script: TaskScript
    estimated_cost: float
    polls_to_finish: int | None
    due_at: float | None
    status: str = "init"
    error_msg: str | None = None
    cost: float | None = None
    polls: int = 0
    videos: list[VideoRecord] = field(default_factory=list)

    @property
    def body(self) -> dict[str, Any]:
        """The submit body as received."""
        return self.request.body

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE_STATUSES


def video_size(resolution: int, aspect_ratio: str | None) -> tuple[int, int]:
    """(width, height) with ``resolution`` as the short side: 720 & 16:9 -> 1280x720, 9:16 swaps."""
    try:
        w_text, h_text = (aspect_ratio or DEFAULT_ASPECT_RATIO).split(":")
        ratio_w, ratio_h = int(w_text), int(h_text)
        if ratio_w <= 0 or ratio_h <= 0:
            raise ValueError(aspect_ratio)
    except ValueError:
        ratio_w, ratio_h = 16, 9
    long_side = 2 * round(resolution * max(ratio_w, ratio_h) / min(ratio_w, ratio_h) / 2)
    return (long_side, resolution) if ratio_w >= ratio_h else (resolution, long_side)


def _new_id() -> str:
    return uuid.uuid4().hex


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
        self.signer = UrlSigner()
        self.base_url = ""
        #: Called (under the lock) with (noticeUrl, payload) when a task with a noticeUrl finishes.
        self.on_complete: Callable[[str, dict[str, Any]], None] | None = None
        self.faults = FaultBook()
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

    def journal_close(self, slot: tuple[int, int], entry: JournalEntry) -> None:
        """Replace the in-flight entry with the answered one, unless reset() cleared the journal."""
        epoch, index = slot
        with self.mutate():
            if epoch == self._journal_epoch:
                self.journal[index] = entry

    # faults ------------------------------------------------------------------------------------
    def inject(self, endpoint: str, fault: Fault, times: int | None) -> None:
        with self.mutate():
            self.faults.inject(endpoint, fault, times)

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.mutate():
            return self.faults.take(endpoint)

    # files -------------------------------------------------------------------------------------
    def new_file(self, fmt: str, *, ready: bool = False) -> FileRecord:
        record = FileRecord(file_id=_new_id(), format=fmt, uploaded=ready, checked=ready)
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
        """Create a task after the server-side checks (files, concurrency, credits)."""
        with self.mutate():
            for name, file_id in request.file_ids():
                record = self.files.get(file_id)
                if record is None or not record.checked:
                    raise ApiError("4004", f"{name}: file not found or not uploaded: {file_id}")
            active = sum(1 for task in self.tasks.values() if not task.finished)
            if self.max_running is not None and active >= self.max_running:
                raise ApiError("4007", "an unfinished task exists, please wait")
            cost = task_cost(
                request.model, request.resolution, request.sound, request.duration, request.generating_count
            )
            if cost > self.credits:
                raise ApiError(
                    "4100", f"credits: not enough credits (needs {cost}, remaining {self.credits})"
                )
            seconds = self.seconds_to_finish
            task = TaskRecord(
                task_id=_new_id(),
                request=request,
                script=self.scripts.popleft() if self.scripts else TaskScript(),
                estimated_cost=cost,
                polls_to_finish=None if seconds is not None else self.polls_to_finish,
                due_at=None if seconds is None else time.monotonic() + seconds,
            )
            self.tasks[task.task_id] = task
            return copy.deepcopy(task)

    def query(self, task_id: str, base_url: str) -> dict[str, Any]:
        """Answer of the query endpoint; a poll advances the task's lifecycle."""
        with self.mutate():
            task = self.tasks.get(task_id)
            if task is None:
                raise ApiError("4004", f"taskId: task not found: {task_id}")
            task.polls += 1
            if not task.finished:
                due = task.due_at is not None and task.due_at <= time.monotonic()
                if due or (task.polls_to_finish is not None and task.polls >= task.polls_to_finish):
                    self._complete(task)
                else:
                    task.status = "running"
            return self._result(task, base_url)

    def complete_due(self, now: float) -> None:
        """Finish time-based tasks whose time has come (called by the simulator's ticker)."""
        with self.lock:  # look first without mutate(): waking every waiter on each tick would be noise
            due = [
                t for t in self.tasks.values() if not t.finished and t.due_at is not None and t.due_at <= now
            ]
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
        request, script = task.request, task.script
        if script.outcome == "fail":
            task.status, task.error_msg, task.cost = "fail", script.error_msg or DEFAULT_TASK_ERROR, 0.0
        else:
            width, height = video_size(request.resolution, request.aspect_ratio)
            failed = set(script.failed_videos) if script.outcome == "partial" else set()
            task.videos = [
                VideoRecord(
                    index=i,
                    status="fail" if i in failed else "success",
                    width=width,
                    height=height,
                    duration=request.duration,
                    error_msg=(script.error_msg or DEFAULT_TASK_ERROR) if i in failed else None,
                    board_task_id=_new_id() if request.board_id else None,
                )
                for i in range(request.generating_count)
            ]
            made = sum(1 for video in task.videos if video.status == "success")
            task.status = "success"
            # Failed videos are not charged.
            task.cost = round(task.estimated_cost * made / request.generating_count, 4)
            self.credits -= task.cost
        if request.notice_url and self.on_complete is not None:
            payload = {
                "uuid": str(uuid.uuid4()),
                "bizType": "COMMON_TASK_IMAGE2VIDEO",
                "taskId": task.task_id,
                "status": task.status,
                "errorMsg": task.error_msg,
                "result": self._result(task, self.base_url),
            }
            self.on_complete(request.notice_url, payload)

    def _result(self, task: TaskRecord, base_url: str) -> dict[str, Any]:
        now = time.time()
        return {
            "taskId": task.task_id,
            "status": task.status,
            "errorMsg": task.error_msg,
            "costCredit": task.cost,
            "boardId": task.request.board_id,
            "videos": [
                {
                    "filePath": (
                        self.signer.video_url(base_url, task.task_id, video.index, now)
                        if video.status == "success"
                        else None
                    ),
                    "width": video.width,
                    "height": video.height,
                    "status": video.status,
                    "errorMsg": video.error_msg,
                    "boardTaskId": video.board_task_id,
                    "duration": video.duration,
                }
                for video in task.videos
            ],
        }

    # callbacks ---------------------------------------------------------------------------------
    def record_callback(self, record: CallbackRecord) -> None:
        with self.mutate():
            self.callbacks.append(record)
