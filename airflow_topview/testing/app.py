"""The simulator's HTTP face: routes, auth, envelope, faults and journaling around every request.

TopView answers business errors as HTTP 200 with a string ``code`` in the envelope; the storage side
(uploads, video files) answers like S3, with XML errors and no envelope. Both are imitated here.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from airflow_topview.testing import storage
from airflow_topview.testing.answers import (
    DroppedResponse,
    EnvelopeResponse,
    RequestBody,
    drain,
    fault_answer,
    stream_answer,
)
from airflow_topview.testing.endpoints import Endpoints, Handler
from airflow_topview.testing.records import JournalEntry
from airflow_topview.testing.task_endpoints import TASK_ENDPOINTS
from airflow_topview.testing.validation import ApiError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Iterator

    from airflow_topview.testing.state import SimulatorState

log = logging.getLogger("airflow_topview.testing")


@dataclass
class _Note:
    """What happened to the answer, for the journal: the fault applied, the endpoint's own code."""

    fault: str | None = None
    handler_code: str | None = None
    sent_bytes: int | None = None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _entry(
    endpoint: str, request: web.Request, body: RequestBody, resp: web.StreamResponse | None, note: _Note
) -> JournalEntry:
    sent = note.sent_bytes
    if sent is None and isinstance(resp, web.Response):
        sent = len(resp.body) if isinstance(resp.body, bytes) else resp.content_length
    return JournalEntry(
        endpoint=endpoint,
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers={str(name): value for name, value in request.headers.items()},
        json=body.json,
        body_size=body.size,
        status=None if resp is None else resp.status,
        code=resp.code if isinstance(resp, EnvelopeResponse) else None,
        received_at=body.received_at,
        fault=note.fault,
        handler_code=note.handler_code,
        sent_bytes=sent,
    )


async def _cancel(tasks: Iterable[asyncio.Task[Any]]) -> None:
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)


class SimulatorApp:
    """Builds the ``aiohttp.web`` application over a :class:`SimulatorState`; tracks the handlers in
    flight so that stopping the server can end them instead of leaving them pending."""

    def __init__(self, state: SimulatorState, uid: str, api_key: str) -> None:
        self.state = state
        self.uid = uid
        self.api_key = api_key
        self._api = Endpoints(state, uid)
        self._inflight: set[asyncio.Task[Any]] = set()
        self._held: set[asyncio.Task[Any]] = set()  # holding an answer back (slow, drip, cut)

    def build(self) -> web.Application:
        app = web.Application()
        api = self._api
        routes: list[tuple[str, str, str, Handler, bool]] = []
        for endpoint, (task_type, kind) in TASK_ENDPOINTS.items():  # each task type's submit and query
            if kind == "submit":
                routes.append((endpoint, "POST", task_type.submit_path, api.submit_for(task_type), True))
            else:
                routes.append((endpoint, "GET", task_type.query_path, api.query_for(task_type), True))
        routes += [
            ("credential", "GET", "/v1/upload/credential", api.credential, True),
            ("upload", "PUT", "/_upload/{file_id}", self._upload, False),
            ("check", "GET", "/v1/upload/check", api.check, True),
            ("credit", "GET", "/user/credit/detail", api.credit, True),
            ("notice_check", "POST", "/notice/notice_url/check", api.notice_check, True),
            ("download", "GET", r"/_videos/{task_id}/{index:\d+}.mp4", self._download, False),
            ("unknown", "*", "/{tail:.*}", api.unknown, False),
        ]
        for endpoint, method, path, handler, needs_auth in routes:
            app.router.add_route(method, path, self._wrap(endpoint, handler, needs_auth=needs_auth))
        return app

    async def release_held(self) -> None:
        """Cancel handlers holding an answer back, so stop() neither waits out a fault nor leaves them
        pending; their journal entries close as dropped."""
        await _cancel(self._held)

    async def cancel_inflight(self) -> None:
        """Cancel handlers the server's shutdown no longer tracks (their clients left)."""
        await _cancel(self._inflight)

    @contextmanager
    def _holding(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - handlers always run in a task
            yield
            return
        self._held.add(task)
        try:
            yield
        finally:
            self._held.discard(task)

    # pipeline ----------------------------------------------------------------------------------
    def _wrap(
        self, endpoint: str, handler: Handler, *, needs_auth: bool
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(endpoint, handler, request, needs_auth=needs_auth)

        return handle

    async def _handle(
        self, endpoint: str, handler: Handler, request: web.Request, *, needs_auth: bool
    ) -> web.StreamResponse:
        body, note = RequestBody(), _Note()
        slot = self.state.journal_open(_entry(endpoint, request, body, None, note))

        def publish() -> None:  # show what is known while the answer is still pending
            self.state.journal_update(slot, _entry(endpoint, request, body, None, note))

        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        resp: web.StreamResponse | None = None
        try:
            if request.method == "POST" and request.can_read_body:
                raw = await request.read()
                body.size = len(raw)
                if raw:
                    try:
                        body.json = json.loads(raw)
                    except ValueError:
                        body.invalid_json = True
                publish()
            resp = await self._answer(endpoint, handler, request, body, note, publish, needs_auth=needs_auth)
            return resp
        finally:
            if task is not None:
                self._inflight.discard(task)
            answered = resp
            # No answer: dropped by a fault, cut off by stop() (cancelled), or the client broke off.
            if resp is None or isinstance(resp, DroppedResponse):
                answered, note.sent_bytes = None, note.sent_bytes or 0
            entry = _entry(endpoint, request, body, answered, note)
            self.state.journal_close(slot, entry)
            shown = request.path if endpoint in ("upload", "download") else request.path_qs
            code = f" code={entry.code}" if entry.code else ""
            fault = f" fault={entry.fault}" if entry.fault else ""
            log.info("%s %s -> %s%s%s", request.method, shown, entry.status or "dropped", code, fault)

    async def _answer(
        self,
        endpoint: str,
        handler: Handler,
        request: web.Request,
        body: RequestBody,
        note: _Note,
        publish: Callable[[], None],
        *,
        needs_auth: bool,
    ) -> web.StreamResponse:
        fault = self.state.take_fault(endpoint)
        note.fault = None if fault is None else fault.kind
        if fault is not None and not fault.runs_handler:  # answered instead of the endpoint
            if fault.kind != "drop":
                # Read what the client sends so it sees our answer rather than a broken pipe.
                body.size += await drain(request)
            return fault_answer(fault, request)
        resp = await self._run(handler, request, body, needs_auth=needs_auth)
        note.handler_code = resp.code if isinstance(resp, EnvelopeResponse) else None
        if fault is None:
            return resp
        # The endpoint did its work; only the answer misbehaves.
        if fault.kind == "slow":
            publish()
            with self._holding():
                await asyncio.sleep(fault.seconds)
            return resp
        if fault.kind in ("drip", "cut", "split"):
            publish()

            def progress(sent: int) -> None:
                note.sent_bytes = sent

            with self._holding():
                out, note.sent_bytes = await stream_answer(fault, request, resp, progress)
            return out
        return fault_answer(fault, request)

    async def _run(
        self, handler: Handler, request: web.Request, body: RequestBody, *, needs_auth: bool
    ) -> web.StreamResponse:
        """Auth, then the endpoint; business errors become envelopes, simulator bugs a 500."""
        try:
            resp = self._auth_error(request) if needs_auth else None
            return resp if resp is not None else await handler(request, body)
        except ApiError as exc:
            return EnvelopeResponse(exc.code, exc.message)
        except Exception:
            log.exception("simulator bug while answering %s %s", request.method, request.path)
            return EnvelopeResponse("5000", "internal simulator error", status=500)

    def _auth_error(self, request: web.Request) -> web.Response | None:
        uid = request.headers.get("Topview-Uid")
        authorization = request.headers.get("Authorization")
        if not uid:
            return EnvelopeResponse("401", "Unauthorized: missing Topview-Uid header")
        if not authorization:
            return EnvelopeResponse("401", "Unauthorized: missing Authorization header")
        scheme, _, key = authorization.partition(" ")
        if scheme != "Bearer" or not key:
            return EnvelopeResponse("401", "Unauthorized: Authorization must be 'Bearer <api key>'")
        if not (_same(uid, self.uid) and _same(key.strip(), self.api_key)):
            return EnvelopeResponse("401", "Unauthorized: invalid uid or api key")
        return None

    # storage side (S3-like) --------------------------------------------------------------------
    async def _upload(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        return await storage.upload(self.state, request, body)

    async def _download(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        return storage.download(self.state, request)
