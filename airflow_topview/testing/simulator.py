"""``TopviewSimulator``: a local TopView API on 127.0.0.1 for tests and demos.

The server runs in a background thread (:mod:`.server`), so sync tests, async tests and Airflow's
triggerer can all talk real HTTP to it. Everything here is the test-facing control surface (journal,
faults, scripted outcomes) delegating to :class:`SimulatorState`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_topview.testing.knobs import SimulatorKnobs
from airflow_topview.testing.lifecycle import Outcome, TaskRecord, TaskScript
from airflow_topview.testing.server import ServerThread
from airflow_topview.testing.state import SimulatorState
from airflow_topview.testing.task_endpoints import TASK_ENDPOINTS, submit_endpoint

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from airflow_topview.client.task_types import TaskType
    from airflow_topview.testing.faults import Fault
    from airflow_topview.testing.records import CallbackRecord, FileRecord, JournalEntry

T = TypeVar("T")

_WAIT_SLICE = 0.05


class TopviewSimulator(SimulatorKnobs):
    """A fake TopView API. Use as ``with TopviewSimulator() as sim:`` or ``async with``.

    ``polls_to_finish=N``: a task answers ``running`` until its N-th query, which finishes it.
    ``seconds_to_finish=S``: tasks finish S seconds after submit, polled or not (overrides polls).
    ``accept_any_model=True``: take any ``model``; by default only the catalog's exact submit names of the
    task type and those added with ``add_model`` (others get TopView's 4000 "Invalid parameter or model").

    It serves every task type of :mod:`airflow_topview.client.task_types` at its own paths: Image-to-Video
    (endpoints ``submit`` / ``query``), Text-to-Video (``text2video_submit`` / ``text2video_query``) and
    Omni Reference (``omni_reference_submit`` / ``omni_reference_query``), with one journal, one credit
    balance and one concurrency limit; ``submit_endpoint(task_type)`` / ``query_endpoint(task_type)``
    (:mod:`.task_endpoints`) give the names. A task is found only by its own type's query.
    """

    def __init__(
        self,
        uid: str = "test-uid",
        api_key: str = "sk-test-key",
        polls_to_finish: int = 2,
        seconds_to_finish: float | None = None,
        upload_check_lag: int = 0,
        max_running: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        credits: float = 10000.0,
        shutdown_timeout: float = 1.0,
        video_bytes: bytes | None = None,
        accept_any_model: bool = False,
    ) -> None:
        self.uid = uid
        self._api_key = api_key
        self.host = host
        self._state = SimulatorState(
            polls_to_finish=polls_to_finish,
            seconds_to_finish=seconds_to_finish,
            upload_check_lag=upload_check_lag,
            max_running=max_running,
            credits=credits,
            video_bytes=video_bytes,
            accept_any_model=accept_any_model,
        )
        self._server = ServerThread(
            self._state, uid=uid, api_key=api_key, host=host, port=port, shutdown_timeout=shutdown_timeout
        )

    def __repr__(self) -> str:  # never shows the API key
        where = self.base_url if self._server.running else "stopped"
        return f"TopviewSimulator(uid={self.uid!r}, {where})"

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> TopviewSimulator:
        """Start serving on a background thread; returns once the port is bound."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop the server, finishing callbacks in flight briefly. Safe to call twice."""
        self._server.stop()

    def __enter__(self) -> TopviewSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> TopviewSimulator:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # In a thread: a callback may be waiting on a receiver that runs in the caller's loop.
        await asyncio.to_thread(self.stop)

    @property
    def api_key(self) -> str:
        """The key clients must send as ``Authorization: Bearer <key>``."""
        return self._api_key

    @property
    def port(self) -> int:
        if self._server.port is None:
            raise RuntimeError("simulator not started yet")
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running simulator."""
        return f"http://{self.host}:{self.port}"

    # observation -------------------------------------------------------------------------------
    @property
    def journal(self) -> list[JournalEntry]:
        """Every request so far, in arrival order (a copy; entries in flight have ``status=None`` and
        show their JSON body once it has been read)."""
        with self._state.lock:
            return list(self._state.journal)

    def requests_to(self, endpoint: str) -> list[JournalEntry]:
        """Journal entries for one endpoint name (``"submit"``, ``"query"``, ``"text2video_submit"``,
        ``"omni_reference_query"``, ...: :data:`~airflow_topview.testing.faults.ENDPOINTS`)."""
        return [entry for entry in self.journal if entry.endpoint == endpoint]

    def submits(self, task_type: str | TaskType | None = None) -> list[JournalEntry]:
        """Journal entries of the submits of one task type (key or declaration), or of every task type
        with None: ``sim.submits("text2video")``; ``sim.submits() == []`` when nothing was paid for."""
        if task_type is None:
            wanted = {name for name, (_, kind) in TASK_ENDPOINTS.items() if kind == "submit"}
        else:
            wanted = {submit_endpoint(task_type)}
        return [entry for entry in self.journal if entry.endpoint in wanted]

    @property
    def tasks(self) -> dict[str, TaskRecord]:
        """taskId -> copy of the task (``status``, ``body``, ``videos``, ``cost``, ``polls``, ...)."""
        return self._state.snapshot_tasks()

    @property
    def files(self) -> dict[str, FileRecord]:
        """fileId -> copy of the file record (``format``, ``uploaded``, ``checked``, ``size``, ``sha256``)."""
        return self._state.snapshot_files()

    @property
    def callbacks(self) -> list[CallbackRecord]:
        """Callback deliveries so far: url, payload, HTTP status or error text, and the receiver's reply
        with ``reply_ok`` (whether it was TopView's documented acknowledgement)."""
        with self._state.lock:
            return list(self._state.callbacks)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy and return its value; ``TimeoutError`` after ``timeout``.

        Wakes on every simulator change and at least every 50 ms; the predicate runs without the
        simulator's lock, so it may make HTTP calls to the simulator.
        """
        deadline = time.monotonic() + timeout
        state = self._state
        while True:
            with state.lock:
                seen = state.version
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            with state.changed:
                if state.version == seen:
                    state.changed.wait(min(remaining, _WAIT_SLICE))

    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """:meth:`wait_for` without blocking the caller's event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def pending_faults(self, endpoint: str) -> int | None:
        """Fault shots still armed for ``endpoint`` (None when a persistent fault is armed)."""
        with self._state.lock:
            return self._state.faults.pending(endpoint)

    # control -----------------------------------------------------------------------------------
    def inject(self, endpoint: str, fault: Fault, times: int | None = 1) -> None:
        """Make the next ``times`` requests to ``endpoint`` misbehave (``None``: until ``clear_faults``).

        ``endpoint`` is a name of :data:`~airflow_topview.testing.faults.ENDPOINTS`, e.g.
        ``sim.inject("text2video_submit", Fault.code("4007"))`` or, by task type,
        ``sim.inject(query_endpoint("omni_reference"), Fault.http(503))``."""
        self._state.inject(endpoint, fault, times)

    def clear_faults(self) -> None:
        with self._state.mutate():
            self._state.faults.clear()

    def add_file(self, fmt: str = "png") -> str:
        """A file id that is already uploaded and checked, usable in a submit body right away."""
        return self._state.new_file(fmt.lower(), ready=True).file_id

    def script_next_task(
        self,
        outcome: Outcome = "success",
        error_msg: str | None = None,
        failed_videos: list[int] | None = None,
        *,
        statuses: list[str | None] | None = None,
        repeat_last: bool = False,
        final_status: str | None = None,
        running_fields: dict[str, Any] | None = None,
        final_fields: dict[str, Any] | None = None,
    ) -> None:
        """Decide how the next submitted task lives and ends; scripts queue up, one per submitted task.

        ``outcome``: success, fail (no videos, costs 0) or partial (``failed_videos`` fail, the rest are
        charged). So clients meet the status answers TopView may send:

        - ``statuses``: what successive queries answer while the task runs, instead of init/running
          (None: JSON null, e.g. ``["queued", None, "processing"]``); the query after the last one
          finishes the task, whatever ``polls_to_finish``/``seconds_to_finish`` say. With
          ``repeat_last=True`` the last status is answered until ``finish_task``.
        - ``final_status``: the status a finished task reports instead of success/fail, e.g.
          ``outcome="fail", final_status="cancelled"``.
        - ``running_fields`` / ``final_fields``: query result fields replaced while running / once
          finished, e.g. ``{"videos": None}`` or ``{"costCredit": "12.5"}``; callbacks carry the latter.
        """
        script = TaskScript(
            outcome=outcome,
            error_msg=error_msg,
            failed_videos=tuple(failed_videos or ()),
            statuses=None if statuses is None else tuple(statuses),
            repeat_last=repeat_last,
            final_status=final_status,
            running_fields=None if running_fields is None else dict(running_fields),
            final_fields=None if final_fields is None else dict(final_fields),
        )
        self._state.script_next(script)

    def finish_task(self, task_id: str) -> TaskRecord:
        """Complete a task now (as scripted, also one that repeats its last status); returns a copy."""
        return self._state.finish(task_id)

    def expire_urls(self) -> None:
        """Make every video URL issued so far answer 403; a new query issues fresh ones."""
        with self._state.mutate():
            self._state.signer.expire_all()

    def reset(self) -> None:
        """Forget journal, faults, scripts, tasks, files and callbacks; restore the initial credits.
        Knobs and models added with ``add_model`` stay."""
        self._state.reset()
