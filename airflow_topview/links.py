"""Extra link on TopView tasks in the Airflow UI: the finished video, or TopView's web app meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

TOPVIEW_APP_URL = "https://www.topview.ai/"


class TopviewVideoLink(BaseOperatorLink):
    """Opens the first finished video (XCom ``result``); while waiting, TopView's web app (XCom ``task_id``).

    Video URLs are signed by TopView and expire (about 24 hours).
    """

    name = "TopView video"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        result: Any = XCom.get_value(ti_key=ti_key, key="result")
        if isinstance(result, dict):
            for video in result.get("videos") or ():
                if isinstance(video, dict) and video.get("filePath"):
                    return str(video["filePath"])
        return TOPVIEW_APP_URL if XCom.get_value(ti_key=ti_key, key="task_id") else ""
