"""Text no URL parser or file system takes fails as bad input, before any request, never quoting secrets."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_topview.client.connection import request_options
from airflow_topview.exceptions import RequestValidationError, TopviewCredentialsError
from airflow_topview.file_rules import upload_format, video_filename
from airflow_topview.task_outcome import task_outcome


@pytest.mark.parametrize(
    "extra",
    [
        {"proxies": {"https": "http://user:S3CRETPW@[::1"}},
        {"proxy": "http://user:S3CRETPW@[::1"},
    ],
)
def test_a_proxy_url_that_does_not_parse_is_refused_without_its_password(extra: dict[str, object]) -> None:
    with pytest.raises(TopviewCredentialsError) as raised:
        request_options(extra)
    assert "proxies" in str(raised.value)
    assert "S3CRETPW" not in str(raised.value)


def test_an_upload_source_that_does_not_parse_fails_the_task_without_retries() -> None:
    with pytest.raises(RequestValidationError, match="is not a valid URL"):
        upload_format("http://[::1/image.png")
    with (
        pytest.raises(AirflowFailException, match=r"source 'http://\[::1/image\.png' is not a valid URL"),
        task_outcome(),
    ):
        upload_format("http://[::1/image.png")


@pytest.mark.parametrize(
    ("template", "rule"),
    [("{index:{foo}}", "cannot be filled in"), ("video_\udcff_{index}.mp4", "not valid text")],
)
def test_a_filename_template_that_cannot_name_a_file_is_bad_input(template: str, rule: str) -> None:
    with pytest.raises(RequestValidationError, match=rule):
        video_filename(template, topview_task_id="t1", index=0, width=720, height=1280)
