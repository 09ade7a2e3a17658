"""The simulator's HTTP face: routes, auth, envelope, faults and journaling around every request.

TopView answers business errors as HTTP 200 with a string ``code`` in the envelope; the storage side
(uploads, video files) answers like S3, with XML errors and no envelope. Both are imitated here.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from airflow_topview.testing import storage
from airflow_topview.testing.answers import (
    DroppedResponse,
    EnvelopeResponse,
    RequestBody,
    drain,
    fault_answer,
    ok,
    stream_answer,
)
from airflow_topview.testing.records import JournalEntry
from airflow_topview.testing.validation import ApiError, validate_submit

if TYPE_CHECKING:
    from airflow_topview.testing.state import SimulatorState

log = logging.getLogger("airflow_topview.testing")

UPLOAD_FORMATS = frozenset({"png", "jpg", "jpeg", "bmp", "webp", "mp4", "mov", "avi", "mp3", "wav", "m4a"})


@dataclass
class _Note:
    """What happened to the answer, for the journal: the fault applied, the endpoint's own code."""

    fault: str | None = None
    handler_code: str | None = None
    sent_bytes: int | None = None


Handler = Callable[[web.Request, RequestBody], Awaitable[web.StreamResponse]]


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


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class SimulatorApp:
    """Builds the ``aiohttp.web`` application over a :class:`SimulatorState`."""

    def __init__(self, state: SimulatorState, uid: str, api_key: str) -> None:
        self.state = state
        self.uid = uid
        self.api_key = api_key

    def build(self) -> web.Application:
        app = web.Application()
        routes: list[tuple[str, str, str, Handler, bool]] = [
            ("submit", "POST", "/v2/common_task/image2video/task/submit", self._submit, True),
            ("query", "GET", "/v2/common_task/image2video/task/query", self._query, True),
            ("credential", "GET", "/v1/upload/credential", self._credential, True),
            ("upload", "PUT", "/_upload/{file_id}", self._upload, False),
            ("check", "GET", "/v1/upload/check", self._check, True),
            ("credit", "GET", "/user/credit/detail", self._credit, True),
            ("notice_check", "POST", "/notice/notice_url/check", self._notice_check, True),
            ("download", "GET", r"/_videos/{task_id}/{index:\d+}.mp4", self._download, False),
            ("unknown", "*", "/{tail:.*}", self._unknown, False),
        ]
        for endpoint, method, path, handler, needs_auth in routes:
            app.router.add_route(method, path, self._wrap(endpoint, handler, needs_auth=needs_auth))
        return app

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
            resp = await self._answer(endpoint, handler, request, body, note, needs_auth=needs_auth)
            return resp
        finally:
            answered = resp
            if isinstance(resp, DroppedResponse):
                answered, note.sent_bytes = None, 0
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
            await asyncio.sleep(fault.seconds)
            return resp
        if fault.kind in ("drip", "cut"):
            out, note.sent_bytes = await stream_answer(fault, request, resp)
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

    # API endpoints -----------------------------------------------------------------------------
    async def _submit(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        if body.invalid_json:
            raise ApiError("4000", "body: must be a JSON object")
        task = self.state.submit(validate_submit(body.json))
        return ok({"taskId": task.task_id, "status": task.status, "errorMsg": None})

    async def _query(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        task_id = request.query.get("taskId", "").strip()
        if not task_id:
            raise ApiError("4003", "taskId: required")
        return ok(self.state.query(task_id, _base_url(request)))

    async def _credential(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        fmt = request.query.get("format", "").strip().lower()
        if not fmt:
            raise ApiError("4003", "format: required")
        if fmt not in UPLOAD_FORMATS:
            raise ApiError("4001", f"format: unsupported file format {fmt!r}")
        record = self.state.new_file(fmt)
        return ok(
            {
                "fileId": record.file_id,
                "uploadUrl": self.state.signer.upload_url(_base_url(request), record.file_id),
                "fileName": f"{record.file_id}.{fmt}",
            }
        )

    async def _check(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        file_id = request.query.get("fileId", "").strip()
        if not file_id:
            raise ApiError("4003", "fileId: required")
        return ok(self.state.check_file(file_id))

    async def _credit(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        """Credit detail as documented (``uid``, ``remainCredit``, ``expiredTime``), plus ``usedCredit``."""
        with self.state.lock:
            remain = self.state.credits - self.state.reserved()
            used = self.state.initial_credits - remain
        return ok(
            {
                "uid": self.uid,
                "remainCredit": round(remain, 4),
                "usedCredit": round(used, 4),
                "expiredTime": self.state.credits_expire_at,
            }
        )

    async def _notice_check(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        url = request.query.get("noticeUrl", "").strip()
        if not url:
            raise ApiError("4003", "noticeUrl: required")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiError("4000", "noticeUrl: must be an http(s) URL")
        return ok(True)

    async def _unknown(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        return EnvelopeResponse("404", f"Not Found: {request.method} {request.path}", status=404)

    # storage side (S3-like) --------------------------------------------------------------------
    async def _upload(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        return await storage.upload(self.state, request, body)

    async def _download(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        return storage.download(self.state, request)
