"""Faults a test can inject per endpoint, so clients meet TopView's failure modes on demand.

Each endpoint has a FIFO queue of armed faults; every matching request consumes one shot of the
fault at the head of the queue. A fault armed with ``times=None`` stays until cleared.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from airflow_topview.testing.task_endpoints import TASK_ENDPOINTS

#: Endpoint names used by the journal and by ``inject`` (one per route of the simulator): each task type's
#: submit and query (Image-to-Video's ``submit`` / ``query``, then ``text2video_submit``,
#: ``text2video_query``, ``omni_reference_submit``, ``omni_reference_query``; see :mod:`.task_endpoints`),
#: then the upload, credit, callback-check and download endpoints.
ENDPOINTS: tuple[str, ...] = (
    *TASK_ENDPOINTS,
    "credential",
    "upload",
    "check",
    "credit",
    "notice_check",
    "download",
)

#: TopView's documented meaning of each business code, used when a fault gives no message.
CODE_MESSAGES: dict[str, str] = {
    "401": "Unauthorized",
    "4000": "parameter error",
    "4001": "wrong format",
    "4002": "signature mismatch",
    "4003": "required field missing",
    "4004": "resource not found",
    "4005": "duplicate name",
    "4006": "request refused",
    "4007": "an unfinished task exists, please wait",
    "4100": "not enough credits",
    "5000": "server error",
    "5001": "server error",
    "5003": "server busy, try later",
    "5004": "server error",
    "5005": "server error",
    "6001": "the safety filter rejected the input",
}

EchoEncoding = Literal["plain", "json", "url", "base64"]
FaultKind = Literal[
    "http", "code", "drop", "slow", "malformed", "result", "echo_auth", "drip", "cut", "split"
]

#: Kinds whose handler always runs first: the work is done, only the answer misbehaves.
_AFTER_HANDLER: frozenset[str] = frozenset({"slow", "result", "drip", "cut", "split"})


@dataclass(frozen=True)
class Fault:
    """One way to misbehave; build it with the constructors, e.g. ``Fault.http(503, retry_after=2)``.

    By default http, code, malformed, drop and echo_auth faults answer *instead of* the endpoint (a
    faulted submit creates no task). With ``after_accepting=True`` the endpoint does its work first
    (the task exists, credits are reserved) and only the answer is replaced: the case where a client
    cannot tell whether its paid request went through.
    """

    kind: FaultKind
    http_status: int = 200
    retry_after: float | str | None = None
    body: str | bytes | None = None
    content_type: str | None = None
    envelope_code: str | None = None
    message: str | None = None
    seconds: float = 0.0
    after_accepting: bool = False
    result_json: str | None = None
    bytes_per_second: float = 0.0
    after_bytes: int = 0
    last_after: float = 0.0
    echo_encoding: EchoEncoding = "plain"

    @property
    def runs_handler(self) -> bool:
        """Whether the endpoint does its real work before this fault shapes the answer."""
        return self.after_accepting or self.kind in _AFTER_HANDLER

    @classmethod
    def http(
        cls,
        status: int,
        retry_after: float | str | None = None,
        body: str | bytes | None = None,
        *,
        content_type: str | None = None,
        after_accepting: bool = False,
    ) -> Fault:
        """Answer with this HTTP status (429, 500, 502, 503, 403, ...), optionally with ``Retry-After``.

        ``body`` may be bytes, sent as they are (proxies send non-UTF-8 error pages); its content type
        is ``content_type``, else ``text/html`` for a body that looks like HTML, else ``text/plain``.
        """
        _check_status(status)
        return cls(
            kind="http",
            http_status=status,
            retry_after=retry_after,
            body=body,
            content_type=content_type,
            after_accepting=after_accepting,
        )

    @classmethod
    def code(cls, code: str, message: str | None = None, *, after_accepting: bool = False) -> Fault:
        """Answer HTTP 200 with an envelope carrying this business code (a string, e.g. ``"4007"``)."""
        if not isinstance(code, str):
            raise TypeError("TopView codes are strings, e.g. Fault.code('4007')")
        if message is None:
            message = CODE_MESSAGES.get(code, f"simulated error {code}")
        return cls(kind="code", envelope_code=code, message=message, after_accepting=after_accepting)

    @classmethod
    def drop(cls, *, after_accepting: bool = False) -> Fault:
        """Close the connection without answering."""
        return cls(kind="drop", after_accepting=after_accepting)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Process the request normally but wait ``seconds`` before sending the answer."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls(kind="slow", seconds=float(seconds))

    @classmethod
    def malformed(cls, *, after_accepting: bool = False) -> Fault:
        """Answer HTTP 200 with a truncated, non-JSON body."""
        return cls(kind="malformed", after_accepting=after_accepting)

    @classmethod
    def result(cls, value: Any) -> Fault:
        """Do the work, then answer a successful envelope whose ``result`` is ``value``: a 200 of the
        wrong shape (``None``, ``{"taskId": 123}``, ...), which clients must not trust blindly."""
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"value must be JSON-serialisable: {exc}") from exc
        return cls(kind="result", result_json=text)

    @classmethod
    def echo_auth(
        cls,
        http_status: int = 502,
        code: str | None = None,
        *,
        after_accepting: bool = False,
        encoding: EchoEncoding = "plain",
    ) -> Fault:
        """A misconfigured server or proxy that quotes the request headers, API key included, in its
        error: so tests can prove a client never logs or raises such text unredacted.

        Without ``code``: an HTML page with ``http_status`` listing ``Authorization: ...`` and
        ``Topview-Uid: ...`` as received. With ``code``: HTTP 200, an envelope with that code whose
        message quotes them. ``encoding`` writes the quoted values as servers and libraries do:
        ``plain``, ``json`` (escaped, ``/`` as ``\\/``), ``url`` (percent-encoded) or ``base64``.
        """
        _check_status(http_status)
        if code is not None and not isinstance(code, str):
            raise TypeError("TopView codes are strings, e.g. Fault.echo_auth(code='4000')")
        if encoding not in ("plain", "json", "url", "base64"):
            raise ValueError(f"encoding must be plain, json, url or base64, got {encoding!r}")
        status = 200 if code is not None else http_status
        return cls(
            kind="echo_auth",
            http_status=status,
            envelope_code=code,
            after_accepting=after_accepting,
            echo_encoding=encoding,
        )

    @classmethod
    def drip(cls, bytes_per_second: float) -> Fault:
        """Answer with the full ``Content-Length`` but send the body at this rate: a stalled download
        that only a read timeout (not a total one) tells apart from a big file. Meant for ``download``.
        """
        if not bytes_per_second > 0:
            raise ValueError("bytes_per_second must be > 0")
        return cls(kind="drip", bytes_per_second=float(bytes_per_second))

    @classmethod
    def split(cls, first_after: float, last_after: float) -> Fault:
        """The endpoint does its work; its answer (full ``Content-Length``) leaves in two parts: all but
        the last byte ``first_after`` seconds after the request, the last byte ``last_after`` seconds
        after it. A complete answer whose end arrives late, e.g. just past a client's deadline.
        """
        if not 0 <= first_after <= last_after:
            raise ValueError("need 0 <= first_after <= last_after")
        return cls(kind="split", seconds=float(first_after), last_after=float(last_after))

    @classmethod
    def cut(cls, after_bytes: int) -> Fault:
        """Answer with the full ``Content-Length``, send ``after_bytes`` bytes of the body, then abort
        the connection: a truncated download a client must not keep as the file. Meant for ``download``.
        """
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        return cls(kind="cut", after_bytes=int(after_bytes))


def _check_status(status: int) -> None:
    if not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code, got {status}")


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None


class FaultBook:
    """Armed faults per endpoint. Not thread-safe on its own: the simulator state guards it."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[_Armed]] = {}

    def inject(self, endpoint: str, fault: Fault, times: int | None = 1) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or None for a persistent fault")
        self._queues.setdefault(endpoint, deque()).append(_Armed(fault, times))

    def take(self, endpoint: str) -> Fault | None:
        """The fault for the next request to ``endpoint``, consuming one shot, or None."""
        queue = self._queues.get(endpoint)
        if not queue:
            return None
        armed = queue[0]
        if armed.remaining is not None:
            armed.remaining -= 1
            if armed.remaining == 0:
                queue.popleft()
        return armed.fault

    def pending(self, endpoint: str) -> int | None:
        """Shots left for ``endpoint`` (None if a persistent fault is armed)."""
        total = 0
        for armed in self._queues.get(endpoint, ()):
            if armed.remaining is None:
                return None
            total += armed.remaining
        return total

    def clear(self) -> None:
        self._queues.clear()
