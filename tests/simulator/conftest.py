"""Shared helpers: a running simulator per test, a tiny `requests` client speaking TopView's protocol,
a raw-socket request for answers a test keeps pending, and a callback receiver on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any

import pytest
import requests
from aiohttp import web

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TaskType
from airflow_topview.testing import TopviewSimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

UID = "test-uid"
KEY = "sk-test-key"
SUBMIT = "/v2/common_task/image2video/task/submit"
QUERY = "/v2/common_task/image2video/task/query"
AUTH = {"Topview-Uid": UID, "Authorization": f"Bearer {KEY}"}


class Api:
    """Minimal synchronous TopView client for the tests (no retries, no cleverness)."""

    def __init__(self, sim: TopviewSimulator) -> None:
        self.sim = sim
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.sim.base_url + path

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
        return self.http.get(
            self.url(path), params=params, headers=AUTH if headers is None else headers, timeout=5
        )

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None, **params: Any
    ) -> requests.Response:
        return self.http.post(
            self.url(path), json=body, params=params, headers=AUTH if headers is None else headers, timeout=5
        )

    def submit(self, body: Any, task_type: TaskType = IMAGE_TO_VIDEO) -> dict[str, Any]:
        return self.post(task_type.submit_path, body).json()

    def query(self, task_id: str, task_type: TaskType = IMAGE_TO_VIDEO) -> dict[str, Any]:
        return self.get(task_type.query_path, taskId=task_id, needCloudFrontUrl="true").json()

    def submit_ok(self, **body: Any) -> str:
        body.setdefault("model", "seedance-1.5-pro")
        if "firstFrameFileId" not in body and "referenceImageFileIds" not in body:
            body["firstFrameFileId"] = self.sim.add_file()
        answer = self.submit(body)
        assert answer["code"] == "200", answer
        return str(answer["result"]["taskId"])

    def run_to_end(
        self, task_id: str, max_polls: int = 10, task_type: TaskType = IMAGE_TO_VIDEO
    ) -> dict[str, Any]:
        for _ in range(max_polls):
            result = self.query(task_id, task_type)["result"]
            if result["status"] not in ("init", "running"):
                return dict(result)
        raise AssertionError(f"task {task_id} still running after {max_polls} polls")

    def upload(self, fmt: str, data: Any) -> str:
        cred = self.get("/v1/upload/credential", format=fmt).json()["result"]
        put = requests.put(cred["uploadUrl"], data=data, timeout=30)
        assert put.status_code == 200, put.text
        return str(cred["fileId"])


def send_raw(sim: TopviewSimulator, method: str, path: str, body: Any = None) -> socket.socket:
    """Send one authenticated request without reading the answer; the caller owns (and closes) the socket."""
    data = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {sim.host}:{sim.port}\r\nTopview-Uid: {UID}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    sock = socket.create_connection((sim.host, sim.port), timeout=10)
    sock.sendall(head.encode() + data)
    return sock


def documented_reply(headers: dict[str, str], payload: dict[str, Any]) -> web.Response:
    """The acknowledgement TopView documents for a callback."""
    result = {"uuid": payload["uuid"], "topviewUid": headers["Topview-Uid"], "result": "success"}
    return web.json_response({"code": "200", "message": "Success", "result": result})


class Receiver:
    """Records callbacks; ``reply`` builds the answer (default: the documented acknowledgement)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.url = ""
        self.reply: Callable[[dict[str, str], dict[str, Any]], web.Response] = documented_reply

    async def handle(self, request: web.Request) -> web.Response:
        headers, payload = dict(request.headers), await request.json()
        self.calls.append((headers, payload))
        return self.reply(headers, payload)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    recv = Receiver()
    app = web.Application()
    app.router.add_post("/topview/notice", recv.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    recv.url = f"http://127.0.0.1:{runner.addresses[0][1]}/topview/notice"
    yield recv
    await runner.cleanup()


@pytest.fixture
def sim() -> Iterator[TopviewSimulator]:
    with TopviewSimulator(uid=UID, api_key=KEY, polls_to_finish=2) as simulator:
        yield simulator


@pytest.fixture
def api(sim: TopviewSimulator) -> Iterator[Api]:
    client = Api(sim)
    yield client
    client.http.close()
