"""Checks of the non-body parameters (waiting, ``hook_params``), run before anything is sent or paid.

A negative poll interval found after the paid submit costs a video; one of zero floods TopView with
queries. Imported at DAG parse time by the operators, so it imports nothing heavy.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The shortest wait between two status queries: TopView tasks take minutes, clients poll every 4-10 s.
#: ``[topview] min_poll_interval`` lowers it for tests against the bundled simulator.
MIN_POLL_INTERVAL = 1.0


def min_poll_interval() -> float:
    from airflow.providers.common.compat.sdk import conf

    return float(conf.getfloat("topview", "min_poll_interval", fallback=MIN_POLL_INTERVAL))


#: The keyword arguments the hooks take through ``hook_params`` (same meaning on worker and triggerer).
HOOK_PARAMS: tuple[str, ...] = (
    "retry_limit",
    "retry_delay",
    "retry_max_delay",
    "busy_timeout",
    "timeout",
    "call_timeout",
    "stall_timeout",
)


@contextmanager
def fail_on_bad_input() -> Iterator[None]:
    """Bad input fails the task without retries: the same input would fail again."""
    try:
        yield
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from None


#: Runaway guards of hook settings: a day per wait, a hundred attempts per call.
MAX_HOOK_SECONDS = 24 * 60 * 60.0
MAX_RETRY_LIMIT = 100


def _number(
    name: str, value: Any, *, minimum: float, inclusive: bool = True, maximum: float = math.inf
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name}: must be a number of seconds, got {value!r}")
    if value < minimum or (not inclusive and value == minimum):
        rule = f"at least {minimum:g}" if inclusive else f"more than {minimum:g}"
        raise ValueError(f"{name}: must be {rule}, got {value!r}")
    if value > maximum:
        raise ValueError(f"{name}: must be at most {maximum:g}, got {value!r}")
    return float(value)


def check_waiting(*, poll_interval: Any, timeout: Any, max_poll_interval: Any = None) -> None:
    """``poll_interval`` >= the minimum (1 s), ``timeout`` > 0, ``max_poll_interval`` >= ``poll_interval``."""
    interval = _number("poll_interval", poll_interval, minimum=min_poll_interval())
    _number("timeout", timeout, minimum=0, inclusive=False)
    if max_poll_interval is not None:
        _number("max_poll_interval", max_poll_interval, minimum=interval)


def check_hook_params(hook_params: Any) -> dict[str, Any]:
    """``hook_params`` as the hooks take them (JSON-safe, so they mean the same in the triggerer)."""
    if not isinstance(hook_params, dict):
        raise ValueError(f"hook_params: must be a dict, got {type(hook_params).__name__}")
    unknown = sorted(str(name) for name in hook_params if name not in HOOK_PARAMS)
    if unknown:
        raise ValueError(f"hook_params: unknown key(s) {', '.join(unknown)}; known: {', '.join(HOOK_PARAMS)}")
    for name, value in hook_params.items():
        if name == "retry_limit":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RETRY_LIMIT:
                raise ValueError(
                    f"hook_params.retry_limit: must be a whole number of at least 1 and at most "
                    f"{MAX_RETRY_LIMIT}, got {value!r}"
                )
        elif name == "timeout":
            parts = value if isinstance(value, (list, tuple)) else [value]
            if len(parts) not in (1, 2):
                raise ValueError(f"hook_params.timeout: must be seconds or (connect, answer), got {value!r}")
            for part in parts:
                _number("hook_params.timeout", part, minimum=0, inclusive=False, maximum=MAX_HOOK_SECONDS)
        else:
            _number(
                f"hook_params.{name}",
                value,
                minimum=0,
                inclusive=name not in ("call_timeout", "stall_timeout"),
                maximum=MAX_HOOK_SECONDS,
            )
    return {name: list(value) if isinstance(value, tuple) else value for name, value in hook_params.items()}
