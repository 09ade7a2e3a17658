"""The servers the benchmarks talk to, each run in its own process so its CPU and memory are not counted.

``python -m benchmarks.servers topview --polls-to-finish 20``
    the package's :class:`~airflow_topview.testing.TopviewSimulator` (what ``python -m
    airflow_topview.testing`` runs), without its per-request log lines;
``python -m benchmarks.servers http404 --k 20``
    the baseline for ``HttpSensorTrigger``: ``GET /status/<id>`` answers 404 until the K-th call for
    that id, then 200.

Both listen on 127.0.0.1 (a free port), print their base URL on the first line, answer a ``stats`` line on
stdin with a JSON line (requests per endpoint, the server's own CPU seconds), exit when stdin closes, and
exit by themselves after ``--max-seconds`` whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import select
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp import web

HOST = "127.0.0.1"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Http404Server:
    """404 until the K-th ``GET /status/<id>`` of each id, then 200 (a plain body, like most status APIs)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.calls: collections.Counter[str] = collections.Counter()
        self.answers: collections.Counter[int] = collections.Counter()
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    async def _status(self, request: web.Request) -> web.Response:
        from aiohttp import web

        item = request.match_info["item"]
        self.calls[item] += 1
        status = 200 if self.calls[item] >= self.k else 404
        self.answers[status] += 1
        text = '{"status": "done"}' if status == 200 else '{"status": "running"}'
        return web.Response(status=status, text=text, content_type="application/json")

    async def _main(self, ready: threading.Event) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/status/{item}", self._status)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0, backlog=4096)
        await site.start()
        self.base_url = f"http://{HOST}:{runner.addresses[0][1]}"
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await self._stopping.wait()
        await runner.cleanup()

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main(ready)), daemon=True)
        self._thread.start()
        ready.wait(30)

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)

    def stats(self) -> dict[str, Any]:
        return {
            "requests": {"status": sum(self.answers.values())},
            "answers": {str(code): count for code, count in self.answers.items()},
            "ids": len(self.calls),
        }


def _serve(stats: Callable[[], dict[str, Any]], max_seconds: float) -> None:
    """Answer ``stats`` lines on stdin until it closes or ``max_seconds`` pass."""
    deadline = time.monotonic() + max_seconds
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sys.stdin], [], [], min(remaining, 1.0))
        if not ready:
            continue
        line = sys.stdin.readline()
        if not line:
            return
        if line.strip() == "stats":
            print(json.dumps({**stats(), "cpu_s": _cpu_seconds()}), flush=True)
    print("max-seconds reached, stopping", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.servers", description=__doc__)
    parser.add_argument("kind", choices=["topview", "http404"])
    parser.add_argument("--polls-to-finish", type=int, default=2)
    parser.add_argument("--seconds-to-finish", type=float, default=None)
    parser.add_argument("--k", type=int, default=20, help="http404: calls until an id answers 200")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args(argv)

    if args.kind == "topview":
        from airflow_topview.testing import TopviewSimulator
        from benchmarks._common import API_KEY, UID

        sim = TopviewSimulator(
            uid=UID,
            api_key=API_KEY,
            polls_to_finish=args.polls_to_finish,
            seconds_to_finish=args.seconds_to_finish,
            host=HOST,
            port=0,
            credits=1e12,
        )

        def sim_stats() -> dict[str, Any]:
            journal = sim.journal
            return {
                "requests": dict(collections.Counter(entry.endpoint for entry in journal)),
                "answers": dict(collections.Counter(str(entry.status) for entry in journal)),
                "tasks": len(sim.tasks),
            }

        with sim:
            print(sim.base_url, flush=True)
            _serve(sim_stats, args.max_seconds)
        return 0

    server = Http404Server(args.k)
    server.start()
    print(server.base_url, flush=True)
    try:
        _serve(server.stats, args.max_seconds)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
