"""Bodies and checks shared by the Text-to-Video and Omni Reference tests."""

from __future__ import annotations

from typing import Any

from airflow_topview.client.task_types import OMNI_REFERENCE, TEXT_TO_VIDEO, TaskType
from airflow_topview.testing import TopviewSimulator, submit_endpoint

from .conftest import Api

FAMILY = (TEXT_TO_VIDEO, OMNI_REFERENCE)


def image(sim: TopviewSimulator, name: str = "Image1") -> dict[str, str]:
    return {"fileId": sim.add_file("png"), "name": name}


def video(sim: TopviewSimulator, name: str = "Video1") -> dict[str, str]:
    return {"fileId": sim.add_file("mp4"), "name": name}


def body_for(sim: TopviewSimulator, task_type: TaskType, **fields: Any) -> dict[str, Any]:
    """A body the task type takes: Standard, a prompt, and for Omni Reference one image it names."""
    body: dict[str, Any] = {"model": "Standard", "prompt": "a red kite over the sea"}
    if task_type is OMNI_REFERENCE:
        body["prompt"] = "<<<Image1>>> flies over the sea"
        body["inputImages"] = [image(sim)]
    body.update(fields)
    return {name: value for name, value in body.items() if value is not None}


def submit_ok(api: Api, task_type: TaskType, **fields: Any) -> str:
    answer = api.submit(body_for(api.sim, task_type, **fields), task_type)
    assert answer["code"] == "200", answer
    return str(answer["result"]["taskId"])


def assert_refused(api: Api, task_type: TaskType, body: Any, code: str, field: str) -> dict[str, Any]:
    """Refused with ``code``, the message naming ``field`` first; nothing created or held; journaled."""
    answer = api.submit(body, task_type)
    assert answer["code"] == code, answer
    assert str(answer["message"]).startswith(field), answer
    assert answer["result"] is None
    assert api.sim.tasks == {}
    assert api.sim.reserved_credits == 0
    entry = api.sim.requests_to(submit_endpoint(task_type))[-1]
    assert (entry.status, entry.code, entry.handler_code) == (200, code, code)
    assert entry.json == body
    assert entry.path == task_type.submit_path
    return answer
