"""Runs the simulator's aiohttp server on a background thread with its own event loop.

A thread of its own lets sync tests, async tests and Airflow's triggerer all talk real HTTP to it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from airflow_topview.testing.app import SimulatorApp
from airflow_topview.testing.callbacks import CallbackSender

if TYPE_CHECKING:
    from airflow_topview.testing.state import SimulatorState

_TICK_SECONDS = 0.02


class ServerThread:
    """Serves a :class:`SimulatorState` on ``host:port`` until :meth:`stop`."""

    def __init__(
        self, state: SimulatorState, *, uid: str, api_key: str, host: str, port: int, shutdown_timeout: float
    ) -> None:
        self._state = state
        self._uid = uid
        self._api_key = api_key
        self._host = host
        self._requested_port = port
        self._shutdown_timeout = shutdown_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.port: int | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Start serving; returns once the port is bound, raises what prevented that."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="topview-simulator", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]

    def stop(self) -> None:
        """Stop the server: callbacks in flight get a brief grace, answers held by a fault are cut off
        (journaled as dropped), other requests get ``shutdown_timeout``. Safe to call twice."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or loop is None or stopping is None:
            return
        loop.call_soon_threadsafe(stopping.set)
        thread.join()
        self._thread = self._loop = self._stopping = None  # the port stays readable for assertions

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(ready))
        except BaseException as exc:
            if not ready.is_set():
                failure.append(exc)
                ready.set()
            else:
                raise
        finally:
            _finish_tasks(loop)
            loop.close()

    async def _main(self, ready: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        sender = CallbackSender(self._state, self._uid)
        simulator_app = SimulatorApp(self._state, self._uid, self._api_key)
        runner = web.AppRunner(
            simulator_app.build(), access_log=None, shutdown_timeout=self._shutdown_timeout
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._requested_port)
            await site.start()
            self.port = int(runner.addresses[0][1])
            self._state.base_url = f"http://{self._host}:{self.port}"

            def notify(url: str, payload: dict[str, Any]) -> None:
                loop.call_soon_threadsafe(sender.send, url, payload)

            self._state.on_complete = notify
            self._loop, self._stopping = loop, asyncio.Event()
            ticker = loop.create_task(self._tick())
            ready.set()
            await self._stopping.wait()
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            self._state.on_complete = None
            await sender.close()  # while still serving: a receiver may call back into the simulator
            await site.stop()  # no new connections
            await simulator_app.release_held()
        finally:
            await runner.cleanup()
            await simulator_app.cancel_inflight()

    async def _tick(self) -> None:
        """Finish time-based tasks even when nobody polls (callbacks need that)."""
        while True:
            self._state.complete_due(time.monotonic())
            await asyncio.sleep(_TICK_SECONDS)


def _finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await what is left on the loop (as ``asyncio.run`` does), so closing it destroys no
    pending task: e.g. aiohttp's per-connection task of a client that left."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
