"""Signatures, tokens and passwords that are not the API key stay out of logs, XCom and exceptions.

Storage error bodies quote the signed request; callback URLs carry tokens; upload URLs may carry a
user:password; a key templated into a prompt is masked by Airflow in rendered fields, and must be in
XCom ``request`` too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_topview.exceptions import TopviewAPIError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

SIGNATURE, CREDENTIAL, TOKEN = "5f0c2d9e8b7a6f5e4d3c2b1a0f9e8d7c", "AKIAEXAMPLE7QZ2LEAKS", "cb-token-91f3a7"
S3_ERROR = (
    "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not "
    "match</Message><AWSAccessKeyId>AKIAEXAMPLE7QZ2LEAKS</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256"
    f"\n20261203T101010Z\n{SIGNATURE}</StringToSign><SignatureProvided>{SIGNATURE}</SignatureProvided>"
    "<CanonicalRequest>PUT /uploads/f.png\nX-Amz-Algorithm=AWS4-HMAC-SHA256&amp;X-Amz-Credential="
    f"{CREDENTIAL}%2F20261203&amp;X-Amz-Signature={SIGNATURE}</CanonicalRequest></Error>"
)


def test_a_storage_error_body_never_carries_its_signatures(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    sim = topview_connection
    sim.inject("upload", Fault.http(403, body=S3_ERROR, content_type="application/xml"))
    image = tmp_path / "frame.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(TopviewAPIError, match="SignatureDoesNotMatch") as raised:
        TopviewHook(retry_limit=1).upload_file(str(image), check_interval=0.02)
    text = f"{raised.value!r} {raised.value}"
    assert SIGNATURE not in text
    assert CREDENTIAL not in text


def test_callback_tokens_and_a_prompt_holding_the_key_stay_out_of_logs_and_xcom(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    notice = f"https://hook-user:hook-pass-77@hooks.example/topview?token={TOKEN}"
    result = dag_runner.run(
        "topview_test_context",
        conf={
            "model": "Kling V3",
            "first": sim.add_file("png"),
            "duration": 5,
            "sound": "on",
            "count": 1,
            "board": "b7",
            "notice": notice,
            "prompt": f"a fox, key {sim.api_key}",  # conf overrides the DAG's params.prompt
        },
    )
    assert result.state == "success", result.log[-3000:]
    assert TOKEN not in result.log
    assert "hook-pass-77" not in result.log
    stored = json.dumps(result.xcom("submit", key="request"))
    assert sim.api_key not in stored
    assert "***" in stored  # the prompt named the key: masked, not dropped


def _family_conf(task_key: str, sim: TopviewSimulator) -> dict[str, object]:
    """The conf of ``topview_family_hostile_context_<task_key>``: a prompt naming the key."""
    if task_key == "omni_reference":
        return {
            "prompt": f"<<<Fox>>> runs, key {sim.api_key}",
            "images": [{"file_id": sim.add_file("png"), "name": "Fox"}],
        }
    return {"prompt": f"a fox, key {sim.api_key}"}


@pytest.mark.parametrize("task_key", ["text2video", "omni_reference"])
def test_callback_tokens_and_a_prompt_holding_the_key_stay_out_of_logs_and_xcom_of_a_task_type(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, task_key: str
) -> None:
    """The test above for the other task types' operators (tests/dags/topview_family_hostile.py)."""
    sim = topview_connection
    notice = f"https://hook-user:hook-pass-77@hooks.example/topview?token={TOKEN}"
    conf = {**_family_conf(task_key, sim), "board": "b7", "notice": notice}
    result = dag_runner.run(f"topview_family_hostile_context_{task_key}", conf=conf)
    assert result.state == "success", result.log[-3000:]
    [submit] = sim.submits(task_key)
    assert submit.json["noticeUrl"] == notice  # TopView gets the URL whole; only what is shown is cut
    assert TOKEN not in result.log
    assert "hook-pass-77" not in result.log
    stored = json.dumps(result.xcom("submit", key="request"))
    assert sim.api_key not in stored
    assert "***" in stored  # the prompt named the key: masked, not dropped
