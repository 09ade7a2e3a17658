"""TopView's API endpoints as the simulator answers them (the storage side lives in :mod:`.storage`):
each task type's submit and query, uploads, credits and the callback check.

Each handler returns a success envelope or raises :class:`ApiError`, which the app answers as TopView
does: HTTP 200 with the error's code in the envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from airflow_topview.testing.answers import EnvelopeResponse, RequestBody, ok
from airflow_topview.testing.task_rules import VALIDATORS
from airflow_topview.testing.validation import ApiError

if TYPE_CHECKING:
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.testing.state import SimulatorState

#: An endpoint: the request and its body as read, to the answer.
Handler = Callable[[web.Request, RequestBody], Awaitable[web.StreamResponse]]

UPLOAD_FORMATS = frozenset({"png", "jpg", "jpeg", "bmp", "webp", "mp4", "mov", "avi", "mp3", "wav", "m4a"})


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _is_http_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Endpoints:
    """The enveloped endpoints over one :class:`SimulatorState`."""

    def __init__(self, state: SimulatorState, uid: str) -> None:
        self.state = state
        self.uid = uid

    def submit_for(self, task_type: TaskType) -> Handler:
        """The submit endpoint of ``task_type``: its body rules (:data:`~.task_rules.VALIDATORS`), then the
        state's checks. Accepts with ``status: "success"`` (TopView's acceptance status, not the task's
        progress) and, with a ``noticeUrl``, the ``noticeUuid`` its callback will carry [guess for the
        task types other than Image-to-Video: by analogy]."""
        validate = VALIDATORS[task_type.key]

        async def submit(request: web.Request, body: RequestBody) -> web.StreamResponse:
            if body.invalid_json:
                raise ApiError("4000", "body: must be a JSON object")
            task = self.state.submit(validate(body.json))
            result: dict[str, Any] = {"taskId": task.task_id, "status": "success", "errorMsg": None}
            if task.notice_uuid is not None:
                result["noticeUuid"] = task.notice_uuid
            return ok(result)

        return submit

    def query_for(self, task_type: TaskType) -> Handler:
        """The query endpoint of ``task_type``: ``taskId`` required; a task of another type is not found."""

        async def query(request: web.Request, body: RequestBody) -> web.StreamResponse:
            task_id = request.query.get("taskId", "").strip()
            if not task_id:
                raise ApiError("4003", "taskId: required")
            return ok(self.state.query(task_id, base_url(request), task_type.key))

        return query

    async def credential(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        fmt = request.query.get("format", "").strip().lower()
        if not fmt:
            raise ApiError("4003", "format: required")
        if fmt not in UPLOAD_FORMATS:
            raise ApiError("4001", f"format: unsupported file format {fmt!r}")
        record = self.state.new_file(fmt)
        return ok(
            {
                "fileId": record.file_id,
                "uploadUrl": self.state.signer.upload_url(base_url(request), record.file_id),
                "fileName": f"{record.file_id}.{fmt}",
            }
        )

    async def check(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        file_id = request.query.get("fileId", "").strip()
        if not file_id:
            raise ApiError("4003", "fileId: required")
        return ok(self.state.check_file(file_id))

    async def credit(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
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

    async def notice_check(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        """Reads ``noticeUrl`` from the query string and from a JSON body: TopView's docs name neither,
        and clients send both. Every copy sent must be an http(s) URL."""
        from_body = body.json.get("noticeUrl") if isinstance(body.json, dict) else None
        places = (request.query.get("noticeUrl"), from_body)
        sent = [value.strip() if isinstance(value, str) else value for value in places]
        sent = [value for value in sent if value not in (None, "")]
        if not sent:
            raise ApiError("4003", "noticeUrl: required (query string or JSON body)")
        if not all(_is_http_url(url) for url in sent):
            raise ApiError("4000", "noticeUrl: must be an http(s) URL")
        return ok(True)

    async def unknown(self, request: web.Request, body: RequestBody) -> web.StreamResponse:
        return EnvelopeResponse("404", f"Not Found: {request.method} {request.path}", status=404)
