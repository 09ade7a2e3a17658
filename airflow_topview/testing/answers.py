"""The answers the simulator sends: TopView envelopes, S3-style errors, and the answers of injected faults."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from airflow_topview.testing.faults import Fault

MALFORMED_BODY = '{"code": "200", "resu'
CHUNK = 1 << 20


class EnvelopeResponse(web.Response):
    """A TopView JSON envelope; remembers its ``code`` for the journal."""

    def __init__(self, code: str, message: str, result: Any = None, *, status: int = 200) -> None:
        body = json.dumps({"code": code, "message": message, "result": result})
        super().__init__(text=body, status=status, content_type="application/json")
        self.code = code


class DroppedResponse(web.Response):
    """Placeholder returned after the connection was aborted; nothing reaches the client."""


def ok(result: Any) -> EnvelopeResponse:
    return EnvelopeResponse("200", "Success", result)


def s3_error(status: int, code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def drain(request: web.Request) -> int:
    """Read and discard the request body; returns its size."""
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
    return size


def fault_answer(fault: Fault, request: web.Request) -> web.Response:
    """The answer that replaces the handler's for an http, code, malformed or drop fault."""
    if fault.kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        return DroppedResponse()
    if fault.kind == "code":
        return EnvelopeResponse(fault.envelope_code or "5000", fault.message or "")
    if fault.kind == "malformed":
        return web.Response(status=200, text=MALFORMED_BODY, content_type="application/json")
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    text = fault.body if fault.body is not None else f"{fault.http_status} {reason(fault.http_status)}"
    return web.Response(status=fault.http_status, text=text, headers=headers)
