"""Download faults on the signed video URL: a configurable payload, a slow drip and a cut-off body."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import aiohttp
import pytest
import requests

from airflow_topview.testing import Fault, TopviewSimulator

from .conftest import KEY, UID, Api

BIG = bytes(range(256)) * 4096  # 1 MiB, every byte value


def _video_url(api: Api) -> str:
    return str(api.run_to_end(api.submit_ok())["videos"][0]["filePath"])


def _raw_get(url: str) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=5)
    conn.request("GET", f"{parts.path}?{parts.query}")
    return conn.getresponse(), conn


def _closed_download(api: Api) -> list[object]:
    return [e for e in api.sim.requests_to("download") if e.sent_bytes is not None]


def test_video_bytes_is_served_and_settable(api: Api) -> None:
    default = requests.get(_video_url(api), timeout=5).content
    assert default[4:8] == b"ftyp"
    assert api.sim.video_bytes == default
    api.sim.video_bytes = BIG
    resp = requests.get(_video_url(api), timeout=5)
    assert resp.headers["Content-Length"] == str(len(BIG))
    assert resp.content == BIG
    entry = api.sim.requests_to("download")[-1]
    assert (entry.status, entry.fault, entry.sent_bytes) == (200, None, len(BIG))


def test_video_bytes_constructor_keyword() -> None:
    with TopviewSimulator(uid=UID, api_key=KEY, polls_to_finish=1, video_bytes=b"tiny") as sim:
        api = Api(sim)
        assert requests.get(_video_url(api), timeout=5).content == b"tiny"
        with pytest.raises(TypeError):
            sim.video_bytes = "text"  # type: ignore[assignment]


def test_drip_sends_everything_slowly_with_the_full_length(api: Api) -> None:
    api.sim.video_bytes = bytes(20_000)
    url = _video_url(api)
    api.sim.inject("download", Fault.drip(100_000))
    started = time.monotonic()
    resp = requests.get(url, timeout=5)
    elapsed = time.monotonic() - started
    assert resp.status_code == 200
    assert resp.headers["Content-Length"] == "20000"
    assert resp.headers["Content-Type"] == "video/mp4"
    assert resp.content == bytes(20_000)
    assert elapsed >= 0.15  # 20 kB at 100 kB/s
    # The body is written from inside the handler: the client can finish before the journal does.
    (entry,) = api.sim.wait_for(lambda: _closed_download(api))
    assert (entry.status, entry.fault, entry.sent_bytes) == (200, "drip", 20_000)


def test_drip_slower_than_the_read_timeout_trips_it(api: Api) -> None:
    api.sim.video_bytes = bytes(100)
    url = _video_url(api)
    api.sim.inject("download", Fault.drip(2))  # one byte every half second
    with requests.Session() as session:
        resp = session.get(url, stream=True, timeout=(5, 0.2))
        assert resp.headers["Content-Length"] == "100"
        with pytest.raises(requests.ConnectionError, match="timed out"):
            _ = resp.content
    (entry,) = api.sim.wait_for(lambda: _closed_download(api), timeout=5)
    assert entry.status == 200
    assert entry.sent_bytes < 100


def test_drip_stops_when_the_client_goes_away(api: Api) -> None:
    api.sim.video_bytes = BIG
    url = _video_url(api)
    api.sim.inject("download", Fault.drip(50_000))  # 20 s for all of it
    resp, conn = _raw_get(url)
    assert resp.getheader("Content-Length") == str(len(BIG))
    assert resp.read(5000) == BIG[:5000]
    conn.close()
    resp.close()
    (entry,) = api.sim.wait_for(lambda: _closed_download(api), timeout=5)
    assert entry.fault == "drip"
    assert 5000 <= entry.sent_bytes < len(BIG) // 2


def test_cut_sends_a_prefix_then_aborts(api: Api) -> None:
    api.sim.video_bytes = BIG
    url = _video_url(api)
    api.sim.inject("download", Fault.cut(1000))
    resp, conn = _raw_get(url)
    assert resp.status == 200
    assert resp.getheader("Content-Length") == str(len(BIG))
    with pytest.raises(http.client.IncompleteRead) as caught:
        resp.read()
    conn.close()
    assert caught.value.partial == BIG[:1000]
    (entry,) = api.sim.wait_for(lambda: _closed_download(api))
    assert (entry.status, entry.fault, entry.sent_bytes) == (200, "cut", 1000)
    # The file itself is fine: the next download gets all of it.
    assert requests.get(url, timeout=5).content == BIG


@pytest.mark.parametrize("after_bytes", [0, 65_536 + 17])
def test_cut_is_seen_by_requests_as_a_broken_body(api: Api, after_bytes: int) -> None:
    api.sim.video_bytes = BIG
    url = _video_url(api)
    api.sim.inject("download", Fault.cut(after_bytes))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=5)
    (entry,) = api.sim.wait_for(lambda: _closed_download(api))
    assert entry.sent_bytes == after_bytes


async def test_async_client_sees_the_cut_as_a_payload_error() -> None:
    async with TopviewSimulator(polls_to_finish=1, video_bytes=BIG) as sim:
        api = Api(sim)
        url = _video_url(api)
        api.http.close()
        sim.inject("download", Fault.cut(4096))
        got = bytearray()

        async def read_all(resp: aiohttp.ClientResponse) -> None:
            async for chunk in resp.content.iter_any():
                got.extend(chunk)

        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            assert resp.content_length == len(BIG)
            with pytest.raises(aiohttp.ClientPayloadError):
                await read_all(resp)
        assert bytes(got) == BIG[:4096]


def test_drip_and_cut_keep_the_status_of_a_refused_url(api: Api) -> None:
    url = _video_url(api)
    api.sim.expire_urls()
    api.sim.inject("download", Fault.drip(1_000_000))
    resp = requests.get(url, timeout=5)
    assert resp.status_code == 403
    assert "AccessDenied" in resp.text


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Fault.drip(0), "bytes_per_second"),
        (lambda: Fault.drip(-5), "bytes_per_second"),
        (lambda: Fault.cut(-1), "after_bytes"),
    ],
)
def test_download_fault_constructors_validate(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]
