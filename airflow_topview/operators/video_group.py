"""``topview_video_group``: upload, submit, wait and download in one call, as a TaskGroup of visible tasks.

Nearly every TopView DAG repeats the same chain: upload the source files, submit a generation task,
wait for it and download the videos. This factory builds that chain with the provider's own operators
inside an Airflow ``TaskGroup``, so every step stays an ordinary task (its own id, log, retries, XCom
and extra link in the UI) and checks its input as it does when used alone. The factory itself refuses,
when the DAG is parsed, only what it needs to build the tasks: the task type, the sources to upload
and the names of the body parameters.

Imported at DAG parse time: only the operator modules, which import nothing heavy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from airflow.providers.common.compat.sdk import TaskGroup

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO, task_type_of
from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.operators.omni_reference import SubmitOmniReferenceOperator
from airflow_topview.operators.text_to_video import SubmitTextToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, XComArg

    from airflow_topview.client.task_types import TaskType
    from airflow_topview.operators.submit import TopviewSubmitOperator

#: What Airflow accepts in a task id (the names of Omni Reference inputs become ``upload_<Name>``).
_TASK_ID_PART = re.compile(r"[\w.-]+", re.ASCII)

#: The submit operator of each task type.
SUBMIT_OPERATORS: dict[str, type[TopviewSubmitOperator]] = {
    IMAGE_TO_VIDEO.key: SubmitImageToVideoOperator,
    TEXT_TO_VIDEO.key: SubmitTextToVideoOperator,
    OMNI_REFERENCE.key: SubmitOmniReferenceOperator,
}

#: The sources each task type uploads (a factory parameter), and the body parameter each one fills.
SOURCES: dict[str, dict[str, str]] = {
    IMAGE_TO_VIDEO.key: {
        "first_frame": "first_frame_file_id",
        "end_frame": "end_frame_file_id",
        "reference_images": "reference_image_file_ids",
    },
    TEXT_TO_VIDEO.key: {},
    OMNI_REFERENCE.key: {"input_images": "input_images", "input_videos": "input_videos"},
}


class TopviewVideoGroup(TaskGroup):
    """The task group :func:`topview_video_group` builds: ``>>`` it as any group, read its tasks here.

    Its tasks are ``upload_...`` (none for Text-to-Video), ``submit``, ``wait`` and ``download``, with
    the group id in front (``clip.submit``). :attr:`output` is the download's ``return_value``: the list
    of paths written.
    """

    @property
    def uploads(self) -> list[Any]:
        """The upload tasks, in the order their sources were given (a mapped one for ``reference_images``)."""
        return [child for child in self.children.values() if str(child.label).startswith("upload_")]

    @property
    def submit(self) -> BaseOperator:
        """The submit task, of the group's task type."""
        return cast("BaseOperator", self.get_child_by_label("submit"))

    @property
    def wait(self) -> ImageToVideoSensor:
        """The sensor waiting for the submitted task (deferrable unless ``wait_kwargs`` says otherwise)."""
        return cast("ImageToVideoSensor", self.get_child_by_label("wait"))

    @property
    def download(self) -> DownloadVideosOperator:
        """The task downloading the finished videos to ``destination``."""
        return cast("DownloadVideosOperator", self.get_child_by_label("download"))

    @property
    def output(self) -> XComArg:
        """The paths the download wrote (its ``return_value``, a list of str), as any task's ``output``."""
        return self.download.output


def topview_video_group(
    group_id: str,
    *,
    task_type: str,
    destination: Any,
    first_frame: Any = None,
    end_frame: Any = None,
    reference_images: Any = None,
    input_images: Mapping[str, Any] | None = None,
    input_videos: Mapping[str, Any] | None = None,
    topview_conn_id: str | None = None,
    upload_kwargs: Mapping[str, Any] | None = None,
    submit_kwargs: Mapping[str, Any] | None = None,
    wait_kwargs: Mapping[str, Any] | None = None,
    download_kwargs: Mapping[str, Any] | None = None,
    default_args: dict[str, Any] | None = None,
    tooltip: str = "",
    **body: Any,
) -> TopviewVideoGroup:
    """Build upload -> submit -> wait -> download for one TopView task, inside a new task group.

    Sources are what :class:`UploadFileOperator` takes (a local path, an http(s) URL or an
    object-storage path; templated); each becomes its own upload task, whose file id goes to the submit:

    - ``image2video``: ``first_frame`` (task ``upload_first_frame``), ``end_frame``
      (``upload_end_frame``) and ``reference_images`` (a list or an ``XComArg``: ``upload_references``,
      mapped); ``first_frame`` or ``reference_images`` is needed;
    - ``omni_reference``: ``input_images`` and ``input_videos``, each a mapping name -> source, the name
      the prompt uses as ``<<<Name>>>`` (one task ``upload_<Name>`` each); one of them is needed;
    - ``text2video``: no source, no upload task.

    :param group_id: the task group's id, in front of its tasks' ids (``clip.submit``).
    :param task_type: ``image2video``, ``text2video`` or ``omni_reference``.
    :param destination: where the videos are written (templated), as in :class:`DownloadVideosOperator`.
    :param topview_conn_id: the ``topview`` connection of every task (a task's ``*_kwargs`` may override);
        unset: the ``default_args``' (the group's, the DAG's), else ``topview_default``.
    :param upload_kwargs: other arguments of every upload task (``retries``, ``pool``, ``hook_params``, ...).
    :param submit_kwargs: other arguments of the submit (``max_credits``, ``run_budget``, ``retries``, ...).
    :param wait_kwargs: other arguments of the :class:`ImageToVideoSensor` (``deferrable``, default True;
        ``poke_interval``, ``timeout``, ``max_poll_interval``, ...). Its ``topview_task_type`` is set.
    :param download_kwargs: other arguments of the :class:`DownloadVideosOperator` (``filename_template``,
        ``outlets``, ``retries``, ...).
    :param default_args: the group's ``default_args``, for every task in it (``retries``, ``pool``, ...).
    :param tooltip: the group's tooltip in the UI; by default the task type and the steps.
    :param body: the submit's body parameters, passed through as given (templates and ``XComArg``
        included): ``prompt``, ``model``, ``duration``, ... as the task type's submit operator takes them.
    :raises TypeError: a parameter the task type does not take (a body parameter of another type, a
        source it does not upload, an argument the group sets itself), when the DAG is parsed.
    :raises ValueError: an unknown ``task_type``, or no source for a type that uploads some.
    """
    kind = task_type_of(task_type)
    operator = SUBMIT_OPERATORS[kind.key]
    sources = {
        name: value
        for name, value in {
            "first_frame": first_frame,
            "end_frame": end_frame,
            "reference_images": reference_images,
            "input_images": input_images,
            "input_videos": input_videos,
        }.items()
        if value is not None
    }
    _check_sources(kind, sources)
    _check_body(kind, operator, body)
    task_kwargs = {
        "upload_kwargs": dict(upload_kwargs or {}),
        "submit_kwargs": dict(submit_kwargs or {}),
        "wait_kwargs": dict(wait_kwargs or {}),
        "download_kwargs": dict(download_kwargs or {}),
    }
    _check_task_kwargs(operator, task_kwargs)
    steps = "upload, submit, wait, download" if SOURCES[kind.key] else "submit, wait, download"
    # Only when given: a value passed to every task would hide the default_args' connection.
    shared: dict[str, Any] = {} if topview_conn_id is None else {"topview_conn_id": topview_conn_id}
    group_arguments: dict[str, Any] = {
        "group_id": group_id,
        "default_args": default_args or {},
        "tooltip": tooltip or f"TopView {kind.label}: {steps}",
    }
    group = TopviewVideoGroup(**group_arguments)
    with group:
        file_ids = _uploads(sources, {**shared, **task_kwargs["upload_kwargs"]})
        submit = operator(task_id="submit", **{**shared, **task_kwargs["submit_kwargs"], **body, **file_ids})
        chained: dict[str, Any] = {"topview_task_id": submit.output, "topview_task_type": kind.key}
        wait = ImageToVideoSensor(
            task_id="wait", **{**shared, "deferrable": True, **task_kwargs["wait_kwargs"], **chained}
        )
        chained = {"task_result": wait.output, "topview_task_type": kind.key, "destination": destination}
        DownloadVideosOperator(task_id="download", **{**shared, **task_kwargs["download_kwargs"], **chained})
    return group


def _check_sources(kind: TaskType, sources: Mapping[str, Any]) -> None:
    """Each source one the task type uploads; at least one when it uploads any."""
    takes = SOURCES[kind.key]
    for name, value in sources.items():
        if name not in takes:
            uploads = (
                f"its sources are {', '.join(takes)}" if takes else "it uploads nothing (a prompt alone)"
            )
            raise TypeError(
                f"topview_video_group: {name}={value!r}: {kind.label} ({kind.key}) takes no {name}; {uploads}"
            )
    needed = [name for name in takes if name != "end_frame"]  # a last frame needs a first one
    if needed and not any(name in sources for name in needed):
        raise ValueError(
            f"topview_video_group: {kind.label} ({kind.key}) needs a source to upload: "
            f"give {' or '.join(needed)} (got none)"
        )
    if "end_frame" in sources and "first_frame" not in sources:  # the request's own rule, before uploading
        raise ValueError(
            f"topview_video_group: end_frame={sources['end_frame']!r} needs first_frame (a last frame "
            "without a first one)"
        )
    for name, value in sources.items():
        if isinstance(value, list | tuple | Mapping) and not value:
            raise ValueError(f"topview_video_group: {name}={value!r}: give at least one source (got none)")
    names: dict[str, str] = {}
    for name in ("input_images", "input_videos"):
        given = sources.get(name)
        for reference in given if isinstance(given, Mapping) else ():
            if not isinstance(reference, str) or not _TASK_ID_PART.fullmatch(reference):
                raise ValueError(
                    f"topview_video_group: {name}: the name {reference!r} becomes the task id "
                    f"upload_{reference}: use letters, digits, '_', '-' and '.' only"
                )
            if reference in names:
                raise ValueError(
                    f"topview_video_group: {name}: the name {reference!r} is also in {names[reference]}; "
                    "each input needs its own name"
                )
            names[reference] = name
    for name in ("input_images", "input_videos"):
        if name in sources and not isinstance(sources[name], Mapping):
            raise TypeError(
                f"topview_video_group: {name}={sources[name]!r}: give a mapping name -> source, "
                f"such as {{'Product1': '/data/product.png'}} (each name is what the prompt calls <<<Name>>>)"
            )


def _check_body(kind: TaskType, operator: type[TopviewSubmitOperator], body: Mapping[str, Any]) -> None:
    """Every keyword left over is a body parameter of the submit, and not one the uploads fill."""
    filled = {parameter: source for source, parameter in SOURCES[kind.key].items()}
    for name, value in body.items():
        if name in filled:
            raise TypeError(
                f"topview_video_group: {name}={value!r}: the group uploads {filled[name]} and passes "
                f"{name} itself; give {filled[name]} (a path, URL or storage path) instead"
            )
        if name not in operator.body_parameters:
            raise TypeError(
                f"topview_video_group: {name}={value!r} is not a body parameter of {operator.__name__} "
                f"({kind.key}), which takes {', '.join(operator.body_parameters)}; the submit's other "
                "arguments go in submit_kwargs"
            )


#: What each task's ``*_kwargs`` may not hold: the group sets it (``task_id`` too, for every task).
SET_BY_THE_GROUP: dict[str, tuple[str, ...]] = {
    "upload_kwargs": ("source",),
    "submit_kwargs": (),  # and the body parameters: keywords of the factory itself
    "wait_kwargs": ("topview_task_id", "topview_task_type"),
    "download_kwargs": ("task_result", "topview_task_id", "topview_task_type", "destination"),
}


def _check_task_kwargs(operator: type[TopviewSubmitOperator], task_kwargs: Mapping[str, Any]) -> None:
    """No task's ``*_kwargs`` sets what the group sets, nor a body parameter (given one way only)."""
    for name, given in task_kwargs.items():
        for key, value in given.items():
            if key == "task_id" or key in SET_BY_THE_GROUP[name]:
                raise TypeError(f"topview_video_group: {name}: the group sets {key} itself (got {value!r})")
            if name == "submit_kwargs" and key in operator.body_parameters:
                raise TypeError(
                    f"topview_video_group: {name}: {key}={value!r} is a body parameter; give it as "
                    f"topview_video_group(..., {key}=...)"
                )


def _uploads(sources: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """One upload task per source; the submit's body parameters that their file ids fill."""
    filled: dict[str, Any] = {}
    for name in ("first_frame", "end_frame"):
        if name in sources:
            upload = UploadFileOperator(task_id=f"upload_{name}", source=sources[name], **arguments)
            filled[SOURCES[IMAGE_TO_VIDEO.key][name]] = upload.output
    if "reference_images" in sources:
        mapped = UploadFileOperator.partial(task_id="upload_references", **arguments)
        filled["reference_image_file_ids"] = mapped.expand(source=sources["reference_images"]).output
    for name in ("input_images", "input_videos"):
        if name in sources:
            filled[name] = {
                reference: UploadFileOperator(
                    task_id=f"upload_{reference}", source=source, **arguments
                ).output
                for reference, source in sources[name].items()
            }
    return filled
