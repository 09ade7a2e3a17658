"""Request and answer plumbing shared by the routes: TopView envelopes, S3-style errors, and the
answers of injected faults (replaced, streamed slowly, or cut short)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow_topview.testing.faults import Fault

MALFORMED_BODY = '{"code": "200", "resu'
CHUNK = 1 << 20
_DRIP_TICK = 0.05  # seconds between drip pieces
_DRIP_PIECE_MAX = 1 << 16


@dataclass
class RequestBody:
    """What was read of the request body before the handler runs."""

    size: int = 0
    json: Any = None
    invalid_json: bool = False
    received_at: float = field(default_factory=time.monotonic)


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
    """The answer an http, code, malformed, drop, result or echo_auth fault sends instead of the handler's."""
    if fault.kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        return DroppedResponse()
    if fault.kind == "code":
        return EnvelopeResponse(fault.envelope_code or "5000", fault.message or "")
    if fault.kind == "malformed":
        return web.Response(status=200, text=MALFORMED_BODY, content_type="application/json")
    if fault.kind == "result":
        return ok(json.loads(fault.result_json or "null"))
    if fault.kind == "echo_auth":
        return _echo_auth(fault, request)
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    body = fault.body if fault.body is not None else f"{fault.http_status} {reason(fault.http_status)}"
    content_type = fault.content_type or ("text/html" if _looks_like_html(body) else "text/plain")
    if isinstance(body, bytes):
        return web.Response(status=fault.http_status, body=body, content_type=content_type, headers=headers)
    return web.Response(status=fault.http_status, text=body, content_type=content_type, headers=headers)


def _looks_like_html(body: str | bytes) -> bool:
    head = body[:256].lstrip().lower()
    if isinstance(head, bytes):
        return head.startswith((b"<html", b"<!doctype html"))
    return head.startswith(("<html", "<!doctype html"))


def _encoded(value: str, encoding: str) -> str:
    """A header value written back the way a server or library might: escaped or encoded."""
    if encoding == "json":
        return json.dumps(value)[1:-1].replace("/", "\\/")
    if encoding == "url":
        return urllib.parse.quote(value, safe="")
    if encoding == "base64":
        return base64.b64encode(value.encode()).decode()
    return value


def _echo_auth(fault: Fault, request: web.Request) -> web.Response:
    """Quote the request's headers verbatim, as a careless proxy or debug error page does."""
    quoted = [
        f"{name}: {_encoded(request.headers[name], fault.echo_encoding)}"
        for name in ("Authorization", "Topview-Uid")
        if name in request.headers
    ]
    others = [
        f"{name}: {value}"
        for name, value in request.headers.items()
        if name.lower() not in ("authorization", "topview-uid")
    ]
    if fault.envelope_code is not None:
        message = f"invalid request headers ({'; '.join(quoted)})"
        return EnvelopeResponse(fault.envelope_code, message)
    status = f"{fault.http_status} {reason(fault.http_status)}"
    lines = "\n".join([f"{request.method} {request.path_qs} HTTP/1.1", *quoted, *others])
    page = (
        f"<html><head><title>{status}</title></head><body><h1>{status}</h1>\n"
        f"<p>upstream request:</p><pre>\n{lines}\n</pre></body></html>\n"
    )
    return web.Response(status=fault.http_status, text=page, content_type="text/html")


async def stream_answer(
    fault: Fault,
    request: web.Request,
    answer: web.StreamResponse,
    progress: Callable[[int], None] | None = None,
) -> tuple[web.StreamResponse, int]:
    """Send the handler's ``answer`` with its full ``Content-Length`` but slowly (drip) or only in part
    followed by an abort (cut). Returns the response sent and the body bytes written; ``progress`` hears
    the count after each write, for a journal entry of an answer cut off by stop()."""
    if not isinstance(answer, web.Response) or not isinstance(answer.body, bytes):
        return answer, 0  # nothing to stream (not produced by the simulator's handlers)
    body = answer.body
    out = web.StreamResponse(status=answer.status, reason=answer.reason)
    for name, value in answer.headers.items():
        if name.lower() not in ("content-length", "transfer-encoding"):
            out.headers.add(name, value)
    out.content_length = len(body)
    sent = 0
    try:
        if fault.kind == "split":
            started = asyncio.get_running_loop().time()
            if not await _pause(request, fault.seconds):
                return out, 0
            await out.prepare(request)
            await out.write(body[:-1])
            sent = len(body) - 1
            if progress is not None:
                progress(sent)
            left = fault.last_after - (asyncio.get_running_loop().time() - started)
            if await _pause(request, max(0.0, left)):
                await out.write(body[-1:])
                sent = len(body)
                if progress is not None:
                    progress(sent)
            return out, sent
        await out.prepare(request)
        if fault.kind == "cut":
            part = body[: fault.after_bytes]
            if part:
                await out.write(part)
                sent = len(part)
                if progress is not None:
                    progress(sent)
            await _flushed(request)
            if request.transport is not None:
                request.transport.abort()
            return out, sent
        rate = fault.bytes_per_second
        piece = max(1, min(_DRIP_PIECE_MAX, int(rate * _DRIP_TICK)))
        for offset in range(0, len(body), piece):
            if offset and not await _pause(request, piece / rate):
                break  # the client went away
            chunk = body[offset : offset + piece]
            await out.write(chunk)
            sent += len(chunk)
            if progress is not None:
                progress(sent)
    except ConnectionError:
        pass  # the client went away: nothing left to do
    return out, sent


async def _pause(request: web.Request, seconds: float) -> bool:
    """Sleep ``seconds`` in short slices; False as soon as the client has gone away."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while True:
        transport = request.transport
        if transport is None or transport.is_closing():
            return False
        left = until - loop.time()
        if left <= 0:
            return True
        await asyncio.sleep(min(left, _DRIP_TICK))


async def _flushed(request: web.Request, timeout: float = 5.0) -> None:
    """Wait until what was written left the process, so an abort does not discard it."""
    transport = request.transport
    deadline = asyncio.get_running_loop().time() + timeout
    while (
        transport is not None
        and not transport.is_closing()
        and transport.get_write_buffer_size() > 0
        and asyncio.get_running_loop().time() < deadline
    ):
        await asyncio.sleep(0.001)
