"""When to repeat an API call, shared by the sync hook and the async hook (one engine, two transports).

:class:`RetryPolicy` decides from one error whether and how long to wait; :class:`CallAttempts` drives
one call: each attempt's deadline, the call's total deadline, and the stricter rule for the paid submit.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Literal

from airflow_topview import metrics
from airflow_topview.exceptions import (
    PERMANENT_CODES,
    TopviewAPIError,
    TopviewConnectionError,
    TopviewError,
    TopviewSubmitUncertainError,
)

BUSY_CODE = "4007"
# Answers to a submit that prove TopView did not create the task: repeating it cannot pay twice.
NOT_CREATED_CODES = frozenset({BUSY_CODE, "5003"})
NOT_CREATED_HTTP_STATUSES = frozenset({429})


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


SubmitFailure = Literal["not_created", "rejected", "uncertain"]


def classify_submit_failure(error: BaseException) -> SubmitFailure:
    """What a failed paid submit tells about the task TopView may have created.

    ``not_created``: proof that no task exists (4007, 5003, HTTP 429, a request that never reached the
    server), safe to repeat. ``rejected``: a documented refusal (401, 4000-4006, 4100, 6001) or a plain
    HTTP 4xx (but 408, 425, 429), no task and no point repeating. ``uncertain``: anything else after the
    request was sent (HTTP 5xx whatever its body says, unknown codes, 5000/5001/5004/5005, timeouts,
    dropped connections, unreadable answers): the task may exist.
    """
    if isinstance(error, TopviewConnectionError):
        return "uncertain" if error.sent else "not_created"
    if isinstance(error, TopviewAPIError):
        status = error.http_status or 0
        if status >= 500:  # a server in trouble: its body (even a 4007) does not prove what happened
            return "uncertain"
        if error.code in NOT_CREATED_CODES or (
            status in NOT_CREATED_HTTP_STATUSES and error.code not in PERMANENT_CODES
        ):
            return "not_created"
        if error.code in PERMANENT_CODES:
            return "rejected"
        if error.code.startswith("HTTP ") and 400 <= status < 500 and status not in (408, 425):
            return "rejected"
    return "uncertain"


def uncertain_submit(what: str, cause: BaseException) -> TopviewSubmitUncertainError:
    """The error for a paid call whose answer does not show whether a task was created."""
    return TopviewSubmitUncertainError(
        f"TopView's answer to {what} does not show whether the task was created ({cause}). TopView may "
        "have created (and will bill) a task, so it is not sent again, by the hook or by Airflow's "
        "retries. Look for a task submitted at this time in the TopView web app before running this "
        "task again (or set on_uncertain_submit='resubmit' to accept a possible second charge)."
    )


@dataclass
class CallAttempts:
    """One API call's attempts: the remaining time of each, and whether to retry after a failure.

    ``attempt_timeout`` bounds one attempt, from connecting to the last byte of the answer. ``total`` is
    the call's deadline for server trouble, all attempts and waits included; time spent waiting for a
    busy slot (4007, bounded by ``busy_timeout``) does not count against it. A ``paid`` call (the
    submit) is repeated only after an answer that proves no task was created. ``wait_when_busy=False``
    hands a busy answer back at once instead of waiting for a slot.
    """

    policy: RetryPolicy
    attempt_timeout: float
    total: float
    what: str
    paid: bool = False
    wait_when_busy: bool = True
    attempt: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.deadline = self.started + self.total

    def begin(self) -> float:
        """Start an attempt; returns the seconds it may take."""
        self.attempt += 1
        return max(min(self.attempt_timeout, self.deadline - time.monotonic()), 0.001)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def delay_after(self, error: TopviewError) -> float:
        """Seconds to wait before the next attempt; raises (the error, or an uncertain submit) to give up."""
        if is_busy(error):
            metrics.count(metrics.BUSY_ANSWERS)
        if self.paid:
            verdict = classify_submit_failure(error)
            if verdict == "uncertain":
                raise uncertain_submit(self.what, error) from None
            if verdict == "rejected":
                raise error
        if not self.wait_when_busy and is_busy(error):
            raise error  # the caller waits elsewhere (a deferred task holds no worker slot meanwhile)
        now = time.monotonic()
        delay = self.policy.delay_before_retry(self.attempt, error, now - self.started)
        if delay is None:
            raise error
        if is_busy(error):
            self.deadline = max(self.deadline, now + delay + self.total)
        elif now + delay >= self.deadline:
            raise error
        elif self.paid and now + delay + self.attempt_timeout > self.deadline:
            raise error  # a paid attempt cut short by the deadline would turn "nothing created" uncertain
        return delay

    def describe(self, error: BaseException, delay: float) -> str:
        """The warning logged before each retry: what failed, which attempt, how long until the next."""
        return (
            f"TopView {self.what} failed ({error}); attempt {self.attempt} of {self.policy.attempts}, "
            f"retrying in {delay:.2f} s"
        )
