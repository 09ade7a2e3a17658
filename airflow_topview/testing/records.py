"""What the simulator records for tests to assert on: requests (journal), files and callback deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

_REDACTED_HEADERS = ("authorization",)


@dataclass(frozen=True, repr=False)
class JournalEntry:
    """One request as the simulator received and answered it.

    ``status`` is the HTTP status answered (None while in flight or when the connection was dropped,
    also by ``stop()`` cutting off an answer a fault held back); ``code`` is the envelope code answered
    (None for non-envelope answers). An entry in flight shows the body as soon as it has been read.
    ``fault`` names the kind of injected fault that shaped the answer; ``handler_code`` is the envelope
    code the endpoint itself produced (None when a fault answered instead of it), so a test sees that a
    submit was accepted although the client got a 502; ``sent_bytes`` is the answer body's length, or
    for ``drip``/``cut`` what was written before the end; None exactly while in flight (0 when dropped).
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
    fault: str | None = None
    handler_code: str | None = None
    sent_bytes: int | None = None

    def __repr__(self) -> str:
        headers = {
            name: ("***" if name.lower() in _REDACTED_HEADERS else value)
            for name, value in self.headers.items()
        }
        return (
            f"JournalEntry(endpoint={self.endpoint!r}, method={self.method!r}, path={self.path!r}, "
            f"query={self.query!r}, headers={headers!r}, json={self.json!r}, body_size={self.body_size}, "
            f"status={self.status!r}, code={self.code!r}, fault={self.fault!r}, "
            f"handler_code={self.handler_code!r}, sent_bytes={self.sent_bytes!r})"
        )


class CallbackRecord(NamedTuple):
    """One callback delivery: target URL, JSON payload sent, HTTP status answered or the error text.

    ``reply`` is the receiver's answer body as text (None when no answer arrived); ``reply_ok`` says
    whether it was TopView's documented acknowledgement (HTTP 200, ``{"code": "200", "message":
    "Success", "result": {"uuid": <payload uuid>, "topviewUid": <uid>, "result": "success"}}``), and
    ``reply_problem`` why not, so tests can check a user's receiver.
    """

    url: str
    payload: dict[str, Any]
    outcome: int | str
    reply: str | None = None
    reply_ok: bool = False
    reply_problem: str | None = None


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
