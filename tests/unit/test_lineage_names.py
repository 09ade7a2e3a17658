"""OpenLineage dataset names and metric tags: nothing secret or unsafe survives the naming."""

from __future__ import annotations

import pytest

from airflow_topview import lineage, metrics


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("/data/in/cat.png", ("file", "/data/in/cat.png")),
        ("file:///data/in/cat.png", ("file", "/data/in/cat.png")),
        ("s3://aws_default@bucket/in/cat.png", ("s3://bucket", "in/cat.png")),  # connection id dropped
        (
            "https://user:secret@cdn.example.com:8443/v/a.mp4?X-Amz-Signature=abc",
            ("https://cdn.example.com:8443", "/v/a.mp4"),
        ),
        ("gs://media/v/a.mp4", ("gs://media", "v/a.mp4")),
    ],
)
def test_locations_drop_credentials_and_query_strings(where: str, expected: tuple[str, str]) -> None:
    assert lineage.location(where) == expected


def test_relative_paths_are_named_absolute(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert lineage.location("cat.png") == ("file", f"{tmp_path}/cat.png")


def test_topview_objects_live_under_the_api_address() -> None:
    api = lineage.api_namespace("http://127.0.0.1:5000/")
    assert api == "http://127.0.0.1:5000"
    assert lineage.uploaded_file(api, "f1") == (api, "file/f1")
    assert lineage.generation_task(api, "t1") == (api, "image2video/task/t1")
    assert lineage.api_namespace("https://user:pw@api.topview.ai") == "https://api.topview.ai"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Seedance 1.5 Pro", "Seedance_1.5_Pro"), ("kling-v3", "kling-v3"), ("a/b:c,d=e", "a_b_c_d_e")],
)
def test_metric_tag_values_keep_only_what_airflow_accepts(value: str, expected: str) -> None:
    assert metrics.name_part(value) == expected


def test_the_request_xcom_never_carries_the_callback_url_or_extra_body_fields() -> None:
    from airflow_topview.client.request import build_request
    from airflow_topview.lineage import sent_request

    request = build_request(
        {
            "model": "seedance-1.5-pro",
            "first_frame_file_id": "f1",
            "prompt": "a boat",
            "notice_url": "https://hooks.example.com/topview?token=s3cret",
            "extra_body": {"webhookSecret": "s3cret"},
        }
    )
    sent = sent_request(request, "t1")
    assert sent == {
        "topview_task_id": "t1",
        "model": "seedance-1.5-pro",
        "prompt": "a boat",
        "firstFrameFileId": "f1",
    }
    assert "s3cret" not in repr(sent)
