"""Every error the provider raises, and what a caller (or Airflow's retries) should do about it.

==============================  ============================================================  ==========
error                           raised when                                                   retryable
==============================  ============================================================  ==========
TopviewAPIError                 TopView answered an error (code != "200", or HTTP error)      ``retryable``
TopviewConnectionError          no usable answer (refused, dropped, timeout, unreadable)      yes
TopviewCredentialsError         connection missing, or its UID/key unusable                   no
TopviewSubmitUncertainError     a paid submit may have created a task: never resent           no
TopviewChangedRequestError      a retry rendered another request (``on_changed_request``)     no
TopviewBudgetError              a request outside its model, ``max_credits`` or run budget    no
TopviewTaskFailedError          TopView reports the task failed, or a wait ended in error     no
TopviewWaitEventError           a wait's final event is malformed (a provider error)          no
TopviewWaitTimeout              a wait's deadline passed while the task still ran             yes (Airflow)
RequestValidationError          operator input or a setting breaks a rule (ValueError)        no
CatalogError                    a models file is unreadable or malformed (ValueError)         no
UnknownCostError                a model's credit rate is unknown (LookupError)                no
TransferCancelledError          ``on_kill`` cancelled a file transfer in progress             yes (Airflow)
==============================  ============================================================  ==========

Helpers raise these only. The operators and the sensor decide the task's outcome in one place,
:func:`airflow_topview.task_outcome.task_outcome`: a "no" above fails the task without Airflow retries,
the rest are left to Airflow's retries. This module imports nothing from Airflow: the catalog (with its
command line) and the simulator use it without Airflow, and every module can import it without a cycle.
"""

from __future__ import annotations

# Envelope codes that mean "try again later" (server trouble, busy, concurrency limit reached).
TRANSIENT_CODES = frozenset({"4007", "5000", "5001", "5003", "5004", "5005"})
# Envelope codes TopView documents as final refusals: the same request fails the same way.
PERMANENT_CODES = frozenset({"401", "4000", "4001", "4002", "4003", "4004", "4005", "4006", "4100", "6001"})
TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class TopviewError(Exception):
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
        """Transient codes, and server trouble (HTTP 5xx, 408, 425, 429) unless the code is a refusal.

        A gateway's JSON error (``{"code": 502}``) is server trouble too, whatever its ``code``.
        """
        if self.code in TRANSIENT_CODES:
            return True
        if self.code in PERMANENT_CODES:
            return False
        return self.http_status in TRANSIENT_HTTP_STATUSES or (self.http_status or 0) >= 500

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


class TopviewChangedRequestError(TopviewError):
    """A retry rendered a request other than the earlier try's paid one, and ``on_changed_request="fail"``."""


class TopviewBudgetError(TopviewError):
    """The request does not fit its model, ``max_credits`` or the run's budget: nothing was paid."""


class TopviewTaskFailedError(TopviewError):
    """TopView reports the task failed (or ended without the videos asked for), or the wait hit an error."""


class TopviewWaitEventError(TopviewError):
    """A wait's final event is not what the provider sends: a provider error, never retried."""


class TopviewWaitTimeout(Exception):
    """The wait ended while the TopView task was still running (TopView has no cancel call)."""


class RequestValidationError(ValueError):
    """Bad operator input, already phrased for the task log: one line per broken rule."""


class CatalogError(ValueError):
    """A model-table file is missing, is not JSON, or has a bad entry (the message names file and entry)."""


class UnknownCostError(LookupError):
    """The table cannot price this request (unknown model, or no rate for its resolution/sound)."""


class TransferCancelledError(Exception):
    """The task is being stopped (``on_kill``). Not a TopviewError: never retried by the hook, and the
    operators let it through as it is, so Airflow's own retry rules apply."""
