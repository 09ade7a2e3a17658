"""Extra links on TopView tasks in the Airflow UI: one per video, and the TopView task while it runs.

Airflow fixes an operator's links when the DAG is parsed, so every TopView task declares
:data:`MAX_VIDEOS` links, "TopView video 1" to "TopView video 4" (a task makes 1 to 4 videos, its
``generatingCount``). Airflow's REST API answers a link whose target is empty as ``null`` and its UI shows
no button for it (3.1 to 3.4 alike), so a task shows one button per video it made, and nothing for videos
it did not make or that failed.

Airflow computes the links on the worker when a try ends (deferral included) and stores them as XCom
``_link_TopviewVideoLink`` (the first, the key earlier releases used) and ``_link_TopviewVideoLink_2`` to
``_4``. The first link's target is XCom ``topview_url``, pushed as soon as it is known (as in the dbt Cloud
provider): TopView's web app when a submit's try starts, the TopView task's page once it is submitted or a
sensor starts waiting, the first finished video at the end. The other links open the videos the try saw
(:func:`show_videos`), so they cost no XCom of their own and no read of one that may not exist (a missing
XCom is an error line in the task log). A wait that ends in the triggerer, where no try ends on a worker,
stores the links itself. Video URLs are signed and expire (~24 h).
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
#: XCom key of the first link's target (the key earlier releases pushed; downstream tasks may read it).
LINK_XCOM_KEY = "topview_url"
#: The most videos one TopView task makes (``generatingCount`` 1 to 4): the links each task declares.
MAX_VIDEOS = 4
#: Where a task keeps, for the rest of the try, the URLs of the videos its try saw (:func:`show_videos`).
_SHOWN = "_topview_videos_shown"

log = logging.getLogger(__name__)


def video_links(result: Any) -> list[str]:
    """The finished videos' URLs in a task result, in TopView's order, at most :data:`MAX_VIDEOS`.

    Videos the result lists under ``failedVideos`` (by index), and videos without a ``filePath``, are left
    out: the ``n``-th link opens the ``n``-th video that was made.
    """
    if not isinstance(result, dict):
        return []
    failed = {item.get("index") for item in result.get("failedVideos") or () if isinstance(item, dict)}
    urls = [
        str(video["filePath"])
        for index, video in enumerate(result.get("videos") or ())
        if isinstance(video, dict) and video.get("filePath") and index not in failed
    ]
    return urls[:MAX_VIDEOS]


def video_link(result: Any) -> str | None:
    """The first finished video's URL in a task result, if any."""
    urls = video_links(result)
    return urls[0] if urls else None


def show_videos(task: Any, result: Any) -> None:
    """Let ``task``'s links open the videos of ``result`` when this try ends (on this worker)."""
    setattr(task, _SHOWN, video_links(result))


def link_xcoms(result: Any) -> dict[str, str]:
    """The links of a finished task as Airflow stores them (``xcom_key`` -> URL), for the videos it made:
    what a wait that ends in the triggerer stores itself."""
    return {link.xcom_key: url for link, url in zip(VIDEO_LINKS, video_links(result), strict=False)}


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
    """Record the first link's target for this try (read by :class:`TopviewVideoLink`); no-op without a TI."""
    if ti is not None:
        ti.xcom_push(key=LINK_XCOM_KEY, value=url)


class TopviewVideoLink(BaseOperatorLink):
    """The link "TopView video ``position``": the task's ``position``-th finished video, or no button.

    The first (``position=1``) opens, before its video exists, the TopView task, and before a submit
    TopView's web app.
    """

    def __init__(self, position: int = 1) -> None:
        if not 1 <= position <= MAX_VIDEOS:
            raise ValueError(f"a TopView task has videos 1 to {MAX_VIDEOS}, not {position}")
        self.position = position

    def __eq__(self, other: object) -> bool:  # Airflow's base compares no field: every link equal
        return type(other) is type(self) and getattr(other, "position", None) == self.position

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.position})"

    @property
    def name(self) -> str:
        return f"TopView video {self.position}"

    @property
    def xcom_key(self) -> str:
        """Where Airflow stores this link: the first keeps the key of earlier releases."""
        first = super().xcom_key  # _link_TopviewVideoLink
        return first if self.position == 1 else f"{first}_{self.position}"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """The video this try saw; else, for the first link, XCom ``topview_url`` (or TopView's web app),
        and for the others an empty target: Airflow's UI shows no button (never ``None``, which Airflow
        3.3 would show as a link to ``None``)."""
        shown: list[str] = getattr(operator, _SHOWN, None) or []
        if len(shown) >= self.position:
            return shown[self.position - 1]
        if self.position > 1:
            return ""
        from airflow.providers.common.compat.sdk import XCom

        return str(XCom.get_value(ti_key=ti_key, key=LINK_XCOM_KEY) or TOPVIEW_APP_URL)


#: The links of every TopView operator and sensor, in order.
VIDEO_LINKS = tuple(TopviewVideoLink(position) for position in range(1, MAX_VIDEOS + 1))
