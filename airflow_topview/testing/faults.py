"""Faults a test can inject per endpoint, so clients meet TopView's failure modes on demand.

Each endpoint has a FIFO queue of armed faults; every matching request consumes one shot of the
fault at the head of the queue. A fault armed with ``times=None`` stays until cleared.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

#: Endpoint names used by the journal and by ``inject`` (one per route of the simulator).
ENDPOINTS: tuple[str, ...] = (
    "submit",
    "query",
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

FaultKind = Literal["http", "code", "drop", "slow", "malformed"]


@dataclass(frozen=True)
class Fault:
    """One way to misbehave; build it with the constructors, e.g. ``Fault.http(503, retry_after=2)``."""

    kind: FaultKind
    http_status: int = 200
    retry_after: float | str | None = None
    body: str | None = None
    envelope_code: str | None = None
    message: str | None = None
    seconds: float = 0.0

    @classmethod
    def http(cls, status: int, retry_after: float | str | None = None, body: str | None = None) -> Fault:
        """Answer with this HTTP status (429, 500, 502, 503, 403, ...), optionally with ``Retry-After``."""
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {status}")
        return cls(kind="http", http_status=status, retry_after=retry_after, body=body)

    @classmethod
    def code(cls, code: str, message: str | None = None) -> Fault:
        """Answer HTTP 200 with an envelope carrying this business code (a string, e.g. ``"4007"``)."""
        if not isinstance(code, str):
            raise TypeError("TopView codes are strings, e.g. Fault.code('4007')")
        if message is None:
            message = CODE_MESSAGES.get(code, f"simulated error {code}")
        return cls(kind="code", envelope_code=code, message=message)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering."""
        return cls(kind="drop")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Process the request normally but wait ``seconds`` before sending the answer."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls(kind="slow", seconds=float(seconds))

    @classmethod
    def malformed(cls) -> Fault:
        """Answer HTTP 200 with a truncated, non-JSON body."""
        return cls(kind="malformed")


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
