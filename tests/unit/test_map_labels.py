"""Mapped tasks get a readable label by default (a file name, a prompt, a task id); a DAG's own wins."""

from __future__ import annotations

import jinja2.sandbox
import pytest
from airflow.sdk import DAG

from airflow_topview.operators.files import (
    DOWNLOAD_LABEL,
    UPLOAD_LABEL,
    DownloadVideosOperator,
    UploadFileOperator,
)
from airflow_topview.operators.submit_base import MAP_INDEX_TEMPLATE
from airflow_topview.operators.text_to_video import SubmitTextToVideoOperator

ENV = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)


class Task:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


@pytest.mark.parametrize(
    ("source", "label"),
    [
        ("/data/shots/paper_boat.png", "paper_boat.png"),
        ("C:\\shots\\fox.png", "fox.png"),
        ("s3://b/k/m.jpg", "m.jpg"),
    ],
)
def test_an_upload_is_labelled_by_its_file_name(source: str, label: str) -> None:
    assert ENV.from_string(UPLOAD_LABEL).render(task=Task(source=source)) == label


def test_a_download_is_labelled_by_its_topview_task_id_from_either_parameter() -> None:
    template = ENV.from_string(DOWNLOAD_LABEL)
    assert template.render(task=Task(topview_task_id="t1", task_result=None)) == "t1"
    assert template.render(task=Task(topview_task_id=None, task_result={"taskId": "t2"})) == "t2"


def test_a_submit_is_labelled_by_its_prompt_else_its_model() -> None:
    template = ENV.from_string(MAP_INDEX_TEMPLATE)
    assert template.render(task=Task(prompt=None, model="Kling V3")) == "Kling V3"
    assert len(template.render(task=Task(prompt="x" * 200, model="m"))) <= 60


def test_partial_sets_the_default_label_and_keeps_the_dags_own() -> None:
    with DAG("labels", schedule=None):
        uploads = UploadFileOperator.partial(task_id="upload").expand(source=["a.png"])
        downloads = DownloadVideosOperator.partial(task_id="download", destination="/tmp").expand(
            topview_task_id=["t1"]
        )
        own = SubmitTextToVideoOperator.partial(task_id="own", map_index_template="{{ task.model }}").expand(
            prompt=["a"]
        )
        default = SubmitTextToVideoOperator.partial(task_id="default").expand(prompt=["a"])
    assert uploads.map_index_template == UPLOAD_LABEL
    assert downloads.map_index_template == DOWNLOAD_LABEL
    assert own.map_index_template == "{{ task.model }}"
    assert default.map_index_template == MAP_INDEX_TEMPLATE
