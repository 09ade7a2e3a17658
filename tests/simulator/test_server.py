"""Server lifecycle: sync and async context managers, ports, restart safety (the command: test_cli)."""

from __future__ import annotations

import aiohttp
import pytest
import requests

from airflow_topview.testing import TopviewSimulator

from .conftest import AUTH


def test_context_manager_starts_and_stops() -> None:
    sim = TopviewSimulator()
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    with sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.port > 0
        url = f"{sim.base_url}/user/credit/detail"
        assert requests.get(url, headers=AUTH, timeout=5).json()["code"] == "200"
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=AUTH, timeout=5)
    sim.stop()  # idempotent


def test_two_simulators_get_different_ports() -> None:
    with TopviewSimulator() as one, TopviewSimulator() as two:
        assert one.port != two.port


def test_double_start_is_refused() -> None:
    with TopviewSimulator() as sim, pytest.raises(RuntimeError, match="already"):
        sim.start()


def test_busy_port_raises_from_start() -> None:
    with TopviewSimulator() as first:
        clash = TopviewSimulator(port=first.port)
        with pytest.raises(OSError, match="address already in use"):
            clash.start()
        clash.stop()


def test_invalid_polls_to_finish() -> None:
    with pytest.raises(ValueError, match="polls_to_finish"):
        TopviewSimulator(polls_to_finish=0)


async def test_async_context_manager_with_aiohttp_client() -> None:
    async with TopviewSimulator(uid="u", api_key="sk-k") as sim:
        headers = {"Topview-Uid": "u", "Authorization": "Bearer sk-k"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.get(f"{sim.base_url}/user/credit/detail") as resp,
        ):
            payload = await resp.json()
        assert payload["code"] == "200"
        assert payload["result"]["remainCredit"] == 10000.0
        assert sim.requests_to("credit")[0].headers["Topview-Uid"] == "u"


def test_custom_credits() -> None:
    with TopviewSimulator(credits=12.5) as sim:
        payload = requests.get(f"{sim.base_url}/user/credit/detail", headers=AUTH, timeout=5).json()
        assert payload["result"]["remainCredit"] == 12.5
