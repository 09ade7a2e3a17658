"""Spend you can see: TopView metrics through Airflow's own ``Stats`` (StatsD or OpenTelemetry).

Each metric is sent twice, the way Airflow sends its own task metrics: a stable name with tags
(``dag_id``, ``task_id``, ``model`` where known; kept by OpenTelemetry and by StatsD with
``statsd_influxdb_enabled`` or Datadog) and the same name with ``.<dag_id>`` appended, so that a plain
StatsD dashboard can still chart spend per DAG. The DAG and task come from the running task's context,
so the hook can count what only it sees (busy answers) without being told where it runs.

Nothing here may fail a task: a metrics backend that is missing or refuses a name costs a debug log line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "topview"
#: Metric names (after ``[metrics] statsd_prefix``, e.g. ``airflow.topview.submits``).
SUBMITS = f"{PREFIX}.submits"  #: submit requests sent (each may be charged)
UNCERTAIN_SUBMITS = f"{PREFIX}.submits_uncertain"  #: submits whose outcome is unknown (may be charged)
BUSY_ANSWERS = f"{PREFIX}.busy_answers"  #: 4007 answers: the account's concurrency limit was reached
CREDITS_ESTIMATED = f"{PREFIX}.credits_estimated"  #: catalog estimate of each submitted task
CREDITS_CHARGED = f"{PREFIX}.credits_charged"  #: ``costCredit`` of each finished task

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def name_part(value: str) -> str:
    """A DAG id or tag value as Airflow's StatsD client accepts it: letters, digits and ``_ . -`` only.

    Airflow drops a whole metric whose name or tags hold anything else (a model's display name has
    spaces), so the rest become ``_``: ``Seedance 1.5 Pro`` is tagged ``Seedance_1.5_Pro``.
    """
    return _UNSAFE.sub("_", value)[:200]


def count(metric: str, amount: float = 1, *, model: str | None = None, where: Any = None) -> None:
    """Add ``amount`` to a counter (credits are fractional; StatsD and OpenTelemetry take that).

    ``where``: the task instance when this runs outside its task (a trigger's ``task_instance``).
    """
    try:
        from airflow.providers.common.compat.sdk import Stats

        # Typed for whole counts, but StatsD and OpenTelemetry counters take fractions (credits).
        stats: Any = Stats
        tags = _tags(model, where)
        stats.incr(metric, amount, tags=tags)
        if "dag_id" in tags:
            stats.incr(f"{metric}.{name_part(tags['dag_id'])}", amount, tags=tags)
    except Exception:  # a metrics backend never fails a paid task
        log.debug("could not send metric %s", metric, exc_info=True)


def _tags(model: str | None, where: Any = None) -> dict[str, str]:
    tags: dict[str, str] = {}
    ti = where if where is not None else _current_task_instance()
    for key in ("dag_id", "task_id"):
        value = getattr(ti, key, None)
        if isinstance(value, str) and value:
            tags[key] = name_part(value)
    if model:
        tags["model"] = name_part(model)
    return tags


def _current_task_instance() -> Any:
    """The running task instance, or None outside a task (the triggerer, a script, a test)."""
    from airflow.providers.common.compat.sdk import get_current_context

    try:
        return get_current_context().get("ti")
    except Exception:  # "no context": not inside a task
        return None


#: Airflow's own names for a durable operator's resume decisions (``ResumableJobMixin``, Airflow 3.3):
#: a dashboard that charts them sees TopView's reconnects like any other durable operator's.
RESUMABLE_EVENTS = (
    "reconnect_attempt",
    "reconnect_success",
    "already_succeeded",
    "terminal_resubmit",
    "fresh_submit",
)


def resumable(event: str, operator: str = "SubmitImageToVideoOperator") -> None:
    """Count one resume decision under Airflow's ``resumable_job.<event>`` name, tagged ``operator``."""
    try:
        from airflow.providers.common.compat.sdk import Stats

        Stats.incr(f"resumable_job.{event}", tags={"operator": operator})
    except Exception:  # a metrics backend never fails a paid task
        log.debug("could not send metric resumable_job.%s", event, exc_info=True)
