"""Checks of the non-body parameters (``[topview]`` options, waiting), run before anything is sent or paid.

A negative poll interval found after the paid submit costs a video; one of zero floods TopView with
queries. Imported at DAG parse time by the operators, so it imports nothing heavy.
"""

from __future__ import annotations

import math
import re
from typing import Any

from airflow_topview.client.input_rules import MISSING_VALUE_TEXTS, shown
from airflow_topview.exceptions import RequestValidationError

#: The shortest wait between two status queries: TopView tasks take minutes, clients poll every 4-10 s.
#: ``[topview] min_poll_interval`` lowers it for tests against the bundled simulator.
MIN_POLL_INTERVAL = 1.0
#: Seconds between two progress lines of a wait whose status does not change (``[topview]
#: progress_interval``): a triggerer's many waits share its log, so not one line per poll.
PROGRESS_INTERVAL = 60.0


def config_seconds(key: str, fallback: float, *, positive: bool) -> float:
    """A ``[topview]`` number of seconds: finite, > 0 (``positive``) or >= 0; else ValueError."""
    from airflow.providers.common.compat.sdk import conf

    raw = conf.get("topview", key, fallback=None)
    if raw is None or not str(raw).strip():
        return fallback
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        rule = "more than 0" if positive else "0 or more"
        raise RequestValidationError(
            f"[topview] {key}: must be a finite number of seconds, {rule}, got {raw!r}"
        )
    return value


def min_poll_interval() -> float:
    """``[topview] min_poll_interval``; a value that is not a positive number raises ValueError."""
    return config_seconds("min_poll_interval", MIN_POLL_INTERVAL, positive=True)


def progress_interval() -> float:
    """``[topview] progress_interval``; a value that is not a positive number raises ValueError."""
    return config_seconds("progress_interval", PROGRESS_INTERVAL, positive=True)


def check_config() -> None:
    """The ``[topview]`` options a TopView task depends on, checked before it sends anything.

    ``min_poll_interval`` and ``progress_interval`` (> 0), ``min_deferral`` (>= 0, finite) and
    ``task_link_template`` (formats with ``{topview_task_id}`` alone, into an http(s) URL). A broken one
    raises ValueError naming the option and the value: the task would otherwise find it only after
    TopView accepted (and billed) the task.
    """
    min_poll_interval()
    progress_interval()
    config_seconds("min_deferral", 10.0, positive=False)
    from airflow.providers.common.compat.sdk import conf

    template = conf.get("topview", "task_link_template", fallback=None)
    if template is None or not template.strip():
        return
    try:
        link = template.format(topview_task_id="0" * 32)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise RequestValidationError(
            f"[topview] task_link_template: must use only {{topview_task_id}}, got {template!r} ({exc!r})"
        ) from None
    if not link.lower().startswith(("https://", "http://")):
        raise RequestValidationError(
            f"[topview] task_link_template: must give an http(s) URL, got {template!r}"
        )


#: Runaway guards of hook settings: a day per wait, a hundred attempts per call.
MAX_HOOK_SECONDS = 24 * 60 * 60.0
MAX_RETRY_LIMIT = 100


def check_number(
    name: str, value: Any, *, minimum: float, inclusive: bool = True, maximum: float = math.inf
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestValidationError(f"{name}: must be a number of seconds, got {value!r}")
    if value < minimum or (not inclusive and value == minimum):
        rule = f"at least {minimum:g}" if inclusive else f"more than {minimum:g}"
        raise RequestValidationError(f"{name}: must be {rule}, got {value!r}")
    if value > maximum:
        raise RequestValidationError(f"{name}: must be at most {maximum:g}, got {value!r}")
    return float(value)


def check_seconds(name: str, value: Any) -> float:
    """A wait in seconds given to an operator: a finite number more than 0 (at most a day)."""
    return check_number(name, value, minimum=0, inclusive=False, maximum=MAX_HOOK_SECONDS)


def check_waiting(*, poll_interval: Any, timeout: Any, max_poll_interval: Any = None) -> None:
    """``poll_interval`` >= the minimum (1 s), ``timeout`` > 0, ``max_poll_interval`` >= ``poll_interval``."""
    interval = check_number("poll_interval", poll_interval, minimum=min_poll_interval())
    check_number("timeout", timeout, minimum=0, inclusive=False)
    if max_poll_interval is not None:
        check_number("max_poll_interval", max_poll_interval, minimum=interval)


_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}")


def require_task_id(value: Any, parameter: str = "topview_task_id") -> str:
    """The rendered task id (surrounding whitespace dropped), or a failure naming what was given instead.

    TopView's ids are 32 hex characters; taken are letters, digits and ``- _ . :``, up to 256 of them.
    Refused: anything but text, line breaks or spaces inside, and the ``None``/``null`` a template of a
    missing XCom renders, which would otherwise be queried (and waited for) as a task.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise RequestValidationError(f"{parameter} must be a TopView task id (text), got {shown(value)}")
    if text in MISSING_VALUE_TEXTS or not _TASK_ID.fullmatch(text):
        raise RequestValidationError(
            f"{parameter} must be a TopView task id (letters, digits, - _ . : and at most 256 of them; a "
            f"template of a missing XCom renders 'None'), got {shown(value)}"
        )
    return text
