"""Extra link on TopView tasks in the Airflow UI: the finished video, or the TopView task while it runs.

As in the dbt Cloud provider, the operators push the link's target to XCom (``topview_url``) as soon as
they know it: TopView's web app when the try starts, the TopView task's page once it is submitted (or,
for a sensor, when the wait starts), the first video when it exists. Airflow 3 computes the link on the
worker when a try ends (deferral included) and stores it as XCom ``_link_TopviewVideoLink``. Video URLs
are signed and expire (~24 h).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, TaskInstanceKey

TOPVIEW_APP_URL = "https://www.topview.ai/"
#: TopView does not document a page per task; the web app with the task id is the best guess.
DEFAULT_TASK_LINK_TEMPLATE = "https://www.topview.ai/?taskId={topview_task_id}"
#: XCom key of the link's target.
LINK_XCOM_KEY = "topview_url"

log = logging.getLogger(__name__)


def video_link(result: Any) -> str | None:
    """The first finished video's URL in a task result, if any."""
    if isinstance(result, dict):
        for video in result.get("videos") or ():
            if isinstance(video, dict) and video.get("filePath"):
                return str(video["filePath"])
    return None


def task_link(topview_task_id: str) -> str:
    """The TopView page of a task, from ``[topview] task_link_template``.

    Never raises: it runs after TopView accepted (and billed) the task, so a broken template (an unknown
    ``{name}``, a stray brace) is logged and the default page used instead.
    """
    from airflow.providers.common.compat.sdk import conf

    template = DEFAULT_TASK_LINK_TEMPLATE
    try:
        template = conf.get("topview", "task_link_template", fallback="") or DEFAULT_TASK_LINK_TEMPLATE
        return template.format(topview_task_id=topview_task_id)
    except Exception as exc:
        log.warning(
            "[topview] task_link_template %r cannot be used (%s: %s); linking to %s instead",
            template,
            type(exc).__name__,
            exc,
            DEFAULT_TASK_LINK_TEMPLATE,
        )
        return DEFAULT_TASK_LINK_TEMPLATE.format(topview_task_id=topview_task_id)


def push_link(ti: Any, url: str) -> None:
    """Record the link's target for this try (read by :class:`TopviewVideoLink`); no-op without a TI."""
    if ti is not None:
        ti.xcom_push(key=LINK_XCOM_KEY, value=url)


class TopviewVideoLink(BaseOperatorLink):
    """Opens the first finished video; before that, the TopView task; before a submit, TopView's web app."""

    name = "TopView video"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.providers.common.compat.sdk import XCom

        return str(XCom.get_value(ti_key=ti_key, key=LINK_XCOM_KEY) or TOPVIEW_APP_URL)
