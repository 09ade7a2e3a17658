"""TopView's wire protocol, shared by the sync hook and the async trigger path.

Endpoints, auth headers, the ``{"code", "message", "result"}`` envelope and the retry policy live
here once, so both transports read answers and decide on retries the same way.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewSubmitUncertainError

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_BASE_URL = "https://api.topview.ai"

SUBMIT_IMAGE_TO_VIDEO = "/v2/common_task/image2video/task/submit"
QUERY_IMAGE_TO_VIDEO = "/v2/common_task/image2video/task/query"
UPLOAD_CREDENTIAL = "/v1/upload/credential"
UPLOAD_CHECK = "/v1/upload/check"
CREDIT_DETAIL = "/user/credit/detail"
NOTICE_URL_CHECK = "/notice/notice_url/check"

SUCCESS_CODE = "200"
BUSY_CODE = "4007"
_MAX_MESSAGE_CHARS = 300


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """Connection host -> base URL: empty means TopView's API, a host without a scheme gets https."""
    host = (host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    base = host if "://" in host else f"https://{host}"
    if port and base.count(":") < 2:
        base = f"{base}:{port}"
    return base


def auth_headers(uid: str, api_key: str) -> dict[str, str]:
    """The two headers every API call carries (never the presigned upload PUT)."""
    return {"Topview-Uid": uid, "Authorization": f"Bearer {api_key}"}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[:_MAX_MESSAGE_CHARS] + "..."


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; None when absent or a date."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def read_envelope(status: int, headers: Mapping[str, str], text: str, endpoint: str) -> Any:
    """Return the envelope's ``result``, or raise TopviewAPIError / TopviewConnectionError.

    TopView reports business errors with HTTP 200 and a ``code`` other than ``"200"``, so the code is
    read first; an HTTP error without an envelope becomes code ``"HTTP <status>"``.
    """
    retry_after = parse_retry_after(headers)
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "code" in payload:
        code = str(payload["code"])
        if code == SUCCESS_CODE and status < 400:
            return payload.get("result")
        if code != SUCCESS_CODE:
            message = _short(str(payload.get("message") or "no message"))
            raise TopviewAPIError(
                code, message, http_status=status, retry_after=retry_after, endpoint=endpoint
            )
    if status >= 400:
        raise TopviewAPIError(
            f"HTTP {status}",
            _short(text) or "no body",
            http_status=status,
            retry_after=retry_after,
            endpoint=endpoint,
        )
    raise TopviewConnectionError(f"TopView answered {endpoint} with an unreadable body: {_short(text)!r}")


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a server's ``Retry-After`` wins when it asks for longer."""
    delay = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one API call is repeated after a transient failure.

    ``attempts`` bounds retries of server trouble; "busy" answers (4007: the account's concurrency limit
    is reached) are retried for up to ``busy_timeout`` seconds instead, since a slot frees only when one
    of the account's running tasks finishes.
    """

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    busy_timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("retry_limit must be at least 1")

    def delay_before_retry(self, attempt: int, error: BaseException, elapsed: float = 0.0) -> float | None:
        """Seconds to wait before the next attempt, or None: give up and raise ``error``.

        ``elapsed`` is the time since the call's first attempt.
        """
        if not is_retryable(error):
            return None
        retry_after: float | None = getattr(error, "retry_after", None)
        if is_busy(error):
            if elapsed >= self.busy_timeout:
                return None
            ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
            # At least half the backoff: waiting for a free slot must not hammer the API.
            delay = max(ceiling / 2 + random.uniform(0, ceiling / 2), retry_after or 0.0)
            return min(delay, self.busy_timeout - elapsed)
        if attempt >= self.attempts:
            return None
        return backoff_delay(attempt, self.base_delay, self.max_delay, retry_after)


def is_busy(error: BaseException) -> bool:
    """TopView's "an unfinished task exists" (4007): the account runs as many tasks as its plan allows."""
    return isinstance(error, TopviewAPIError) and error.code == BUSY_CODE


def is_retryable(error: BaseException) -> bool:
    """Transient errors may succeed when repeated; everything else is final."""
    if isinstance(error, TopviewAPIError):
        return error.retryable
    return isinstance(error, TopviewConnectionError)


def describe_retry(
    method: str, endpoint: str, error: BaseException, attempt: int, policy: RetryPolicy, delay: float
) -> str:
    """The warning logged before each retry: what failed, which attempt, how long until the next."""
    return (
        f"TopView {method} {endpoint} failed ({error}); attempt {attempt} of {policy.attempts}, "
        f"retrying in {delay:.2f} s"
    )


def uncertain_submit(method: str, endpoint: str, cause: BaseException) -> TopviewSubmitUncertainError:
    """The error for a paid call that was sent but got no answer: never repeated automatically."""
    return TopviewSubmitUncertainError(
        f"No readable answer from TopView to {method} {endpoint} ({type(cause).__name__}). TopView may have "
        "accepted the task; it is not sent again so that it is not paid twice. Check the TopView web app "
        "before running this task again."
    )
