"""Signatures, tokens and passwords that are not the API key stay out of logs, XCom and exceptions.

Storage error bodies quote the signed request; callback URLs carry tokens; upload URLs may carry a
user:password; a key templated into a prompt is masked by Airflow in rendered fields, and must be in
XCom ``request`` too; a trigger's event, which Airflow logs, stores and prints, holds no signed video URL.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.exceptions import TopviewAPIError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.triggers.test_trigger import make_trigger, submit

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


#: What every signed video URL of the simulator holds (``/_videos/<task>/<n>.mp4?Expires=..&Signature=..``).
SIGNED = ("Signature=", "/_videos/")


def assert_unsigned(text: str, where: str) -> None:
    leaked = [part for part in SIGNED if part in text]
    assert not leaked, f"{where} holds a signed video URL ({leaked}): {text[:600]}"


async def test_a_trigger_event_never_prints_or_stores_a_signed_url(
    topview_connection: TopviewSimulator,
) -> None:
    """Through Airflow's own triggerer code (``TriggerRunner.run_trigger``): the "Trigger fired event" line,
    rendered as Airflow writes it to the task log; the event as Airflow queues it for the metadata DB
    (``next_kwargs``); and ``TriggerEvent``'s own form, which Airflow prints wherever it rebuilds the
    event from what it stored. The worker that resumes still gets the videos (one read of the task)."""
    import structlog
    from airflow.jobs.triggerer_job_runner import TriggerRunner
    from airflow.sdk.log import logging_processors
    from airflow.triggers.base import TriggerEvent

    sim = topview_connection
    sim.polls_to_finish = 2
    task_id = submit(sim, generating_count=2)
    runner = TriggerRunner()
    written = io.StringIO()
    runner.log = structlog.wrap_logger(
        structlog.PrintLogger(written),
        processors=list(logging_processors(json_output=True)),
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),  # 3.4 logs the event at debug
    )
    runner.triggers[1] = {"task": None, "is_watcher": False, "name": "wait", "events": 0}  # type: ignore[typeddict-unknown-key]
    await asyncio.wait_for(runner.run_trigger(1, make_trigger(task_id)), timeout=60)
    [queued] = runner.events
    event = queued[1]
    lines = written.getvalue()
    assert "Trigger fired event" in lines
    assert_unsigned(lines, "the triggerer's log")
    assert_unsigned(f"{event!r} {event}", "the event's printed form")
    assert_unsigned(json.dumps(event.payload), "the stored payload")
    assert_unsigned(repr(TriggerEvent(event.payload)), "Airflow's form of the stored event")  # type: ignore[no-untyped-call]
    assert event.payload == {"status": "success", "topview_task_id": task_id, "task_type": "image2video"}
    from airflow_topview.client.task_types import IMAGE_TO_VIDEO
    from airflow_topview.deferral import resumed_event

    queries = len(sim.requests_to("query"))
    hook = TopviewHook(retry_limit=1)
    try:
        resumed = resumed_event(event.payload, hook, IMAGE_TO_VIDEO, logging.getLogger("test"))
    finally:
        hook.close()
    videos: list[dict[str, Any]] = resumed["result"]["videos"]
    assert [SIGNED[0] in video["filePath"] for video in videos] == [True, True]
    assert len(sim.requests_to("query")) == queries + 1  # one read, no submit
    assert len(sim.requests_to("submit")) == 1


@pytest.mark.parametrize("dag_id", ["topview_test_wait_deferrable", "topview_test_sensor_deferrable"])
def test_a_deferred_wait_keeps_signed_urls_in_xcom_and_out_of_its_log(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, dag_id: str
) -> None:
    """A real deferred run (the trigger inline, the task resumed on the worker): the videos reach XCom."""
    sim = topview_connection
    sim.polls_to_finish = 3
    result = dag_runner.run(dag_id, conf={"first": sim.add_file("png"), "count": 2})
    assert result.state == "success", result.log[-3000:]
    assert "Pausing task as DEFERRED" in result.log
    finished = result.xcom("submit", key="result") if "wait_" in dag_id else result.xcom("wait")
    assert [SIGNED[0] in video["filePath"] for video in finished["videos"]] == [True, True]
    assert_unsigned(result.log, "the run's log")
    assert len(sim.requests_to("submit")) == 1
