"""Errors the provider raises, sorted by what the caller should do about them."""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowException

# Envelope codes that mean "try again later" (server trouble, busy, concurrency limit reached).
TRANSIENT_CODES = frozenset({"4007", "5000", "5001", "5003", "5004", "5005"})
TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class TopviewError(AirflowException):
    """Base class of every error raised by this provider."""


class TopviewAPIError(TopviewError):
    """TopView answered with an error: an envelope code other than ``"200"``, or an HTTP error status.

    ``code`` is TopView's envelope code (a string such as ``"4004"``) or ``"HTTP <status>"`` when the
    answer carried no envelope. ``retryable`` says whether the same call may succeed later.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
        endpoint: str = "",
    ) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after
        self.endpoint = endpoint
        where = f" on {endpoint}" if endpoint else ""
        super().__init__(f"TopView error {code}{where}: {message}")

    @property
    def retryable(self) -> bool:
        if self.code in TRANSIENT_CODES:
            return True
        return self.http_status in TRANSIENT_HTTP_STATUSES and not self.code.isdigit()

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_api_error,
            (self.code, self.message, self.http_status, self.retry_after, self.endpoint),
        )


def _rebuild_api_error(
    code: str, message: str, http_status: int | None, retry_after: float | None, endpoint: str
) -> TopviewAPIError:
    return TopviewAPIError(code, message, http_status=http_status, retry_after=retry_after, endpoint=endpoint)


class TopviewConnectionError(TopviewError):
    """No usable answer came back (connection refused or dropped, timeout, unreadable body).

    ``sent`` is False only when the request provably never reached the server (connection refused,
    name not resolved, connect timeout): only then may a paid submit be repeated.
    """

    retryable = True

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_connection_error, (str(self), self.sent))


def _rebuild_connection_error(message: str, sent: bool) -> TopviewConnectionError:
    return TopviewConnectionError(message, sent=sent)


class TopviewCredentialsError(TopviewError):
    """The connection's credentials are missing or unusable; retrying cannot help."""


class TopviewSubmitUncertainError(TopviewError):
    """A submit was sent but its answer does not show whether TopView created (and will bill) the task.

    Repeating the POST could pay twice, so neither the hook nor Airflow retries it; check the TopView
    web app. Raised for HTTP 5xx, envelope codes 5000/5001/5004/5005, timeouts, dropped connections and
    unreadable answers to a submit, and when a retry finds a submit of an earlier try without its answer.
    """
