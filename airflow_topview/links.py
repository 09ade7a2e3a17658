"""Extra link on TopView tasks in the Airflow UI: the finished video, or TopView's web app meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

TOPVIEW_APP_URL = "https://www.topview.ai/"


def video_link(result: Any) -> str:
    """The first finished video's URL in a task result, else TopView's web app."""
    if isinstance(result, dict):
        for video in result.get("videos") or ():
            if isinstance(video, dict) and video.get("filePath"):
                return str(video["filePath"])
    return TOPVIEW_APP_URL


class TopviewVideoLink(BaseOperatorLink):
    """Opens the first finished video; while the task is deferred, TopView's web app.

    Airflow 3 computes the link on the worker when a try ends (deferral included) and stores it as
    XCom ``_link_TopviewVideoLink``: the operator keeps the URL in ``topview_link`` for that moment,
    which avoids reading XComs that may not exist yet. Video URLs are signed and expire (~24 h).
    """

    name = "TopView video"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return str(getattr(operator, "topview_link", "") or "")
