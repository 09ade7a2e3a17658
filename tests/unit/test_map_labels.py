"""Mapped tasks get a readable label by default (a file name, a prompt, a task id); a partial's own wins."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.labels import LABEL_TEMPLATE, LABEL_VARIABLE, set_label
from airflow_topview.operators.text_to_video import SubmitTextToVideoOperator


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("A heron lands on a post", "A heron lands on a post"),
        ("1984", "'1984'"),  # a native-rendering DAG would turn it into a number Airflow cannot show
        ("[1, 2]", "'[1, 2]'"),
        ("x" * 200, "x" * 57 + "..."),
        ("two\nlines", "two lines"),
    ],
)
def test_a_label_is_one_short_line_that_no_native_rendering_turns_into_a_number(
    text: str, label: str
) -> None:
    context: dict[str, Any] = {}
    set_label(context, text)
    assert context[LABEL_VARIABLE] == label


def test_a_label_is_masked() -> None:
    context: dict[str, Any] = {}
    set_label(context, "sk-secret rides a fox", lambda text: text.replace("sk-secret", "***"))
    assert context[LABEL_VARIABLE] == "*** rides a fox"


def test_a_label_hides_what_airflow_masks() -> None:
    """Another connection's secret templated into a prompt: masked in the label as in the logs."""
    from airflow.providers.common.compat.sdk import mask_secret

    mask_secret("other-conn-password-7731")
    context: dict[str, Any] = {}
    set_label(context, "Logo reads other-conn-password-7731 in neon")
    assert context[LABEL_VARIABLE] == "Logo reads *** in neon"


def test_partial_sets_the_default_label_and_keeps_the_partials_own() -> None:
    with DAG("labels", schedule=None):
        uploads = UploadFileOperator.partial(task_id="upload").expand(source=["a.png"])
        downloads = DownloadVideosOperator.partial(task_id="download", destination="/tmp").expand(
            topview_task_id=["t1"]
        )
        own = SubmitTextToVideoOperator.partial(task_id="own", map_index_template="{{ task.model }}").expand(
            prompt=["a"]
        )
        default = SubmitTextToVideoOperator.partial(task_id="default").expand(prompt=["a"])
    assert uploads.map_index_template == LABEL_TEMPLATE
    assert downloads.map_index_template == LABEL_TEMPLATE
    assert own.map_index_template == "{{ task.model }}"
    assert default.map_index_template == LABEL_TEMPLATE


def test_a_template_in_default_args_wins_over_the_default_label() -> None:
    from airflow.sdk import TaskGroup

    with DAG("labels_from_dag", schedule=None, default_args={"map_index_template": "{{ task.task_id }}-dag"}):
        from_dag = SubmitTextToVideoOperator.partial(task_id="submit").expand(prompt=["a"])
        with TaskGroup("group", default_args={"map_index_template": "{{ task.task_id }}-group"}):
            from_group = UploadFileOperator.partial(task_id="upload").expand(source=["a.png"])
    with DAG("labels_from_task", schedule=None):
        from_task = DownloadVideosOperator.partial(
            task_id="download", destination="/tmp", default_args={"map_index_template": "{{ ti.map_index }}"}
        ).expand(topview_task_id=["t1"])
        default = DownloadVideosOperator.partial(task_id="plain", destination="/tmp").expand(
            topview_task_id=["t1"]
        )
    assert from_dag.map_index_template == "{{ task.task_id }}-dag"
    assert from_group.map_index_template == "{{ task.task_id }}-group"
    assert from_task.map_index_template == "{{ ti.map_index }}"
    assert default.map_index_template == LABEL_TEMPLATE
