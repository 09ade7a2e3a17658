"""Child of the ``triggers`` benchmark: N pollers in one process and one event loop, measured.

``python -m benchmarks._child_triggers <variant> --ids FILE --interval S --base-url URL``, variant one of

- ``topview``: :class:`ImageToVideoTrigger` ``run()`` generators (connection from the environment);
- ``http``: providers-http's ``HttpSensorTrigger`` against the ``http404`` server;
- ``floor``: bare aiohttp, one shared ``ClientSession``, the same GETs to the simulator's query endpoint
  with the auth headers, JSON parsed, until the task is finished;
- ``topview-quiet`` (diagnostic, not in ``make bench``): ``topview`` with the trigger's logger silenced.

Imports and trigger construction happen before the measured window; the window covers running all N
to their final event. Starts are spread evenly over one poll interval, as tasks reach a triggerer over
time. Prints the result line: CPU seconds in the window, peak RSS, RSS before the window, wall time,
final statuses. Imports only what the variant needs, so the RSS figures compare the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any


def _rusage() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _rss_now() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)


async def _after(delay: float) -> None:
    if delay > 0:
        await asyncio.sleep(delay)


class _Silent:
    """Stands in for a trigger's logger (diagnostic variant ``topview-quiet``): drops every line."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _topview_pollers(ids: list[str], interval: float, *, quiet: bool = False) -> list[Any]:
    # Warm-up: what run() imports on the first trigger of a triggerer's life (the hook, HTTP clients,
    # models) is imported here, outside the window, as in a triggerer that ran this trigger type before.
    import airflow_topview.client.protocol
    import airflow_topview.hooks.topview
    import airflow_topview.waiting  # noqa: F401
    from airflow_topview.triggers.image_to_video import ImageToVideoTrigger

    if quiet:
        ImageToVideoTrigger.log = _Silent()  # type: ignore[assignment]

    end_time = time.time() + 3600
    triggers = [
        ImageToVideoTrigger(topview_task_id=task_id, end_time=end_time, poll_interval=interval)
        for task_id in ids
    ]

    async def one(trigger: ImageToVideoTrigger, delay: float) -> str:
        await _after(delay)
        async for event in trigger.run():
            return str(event.payload["status"])
        return "no event"

    return [one(trigger, interval * i / len(ids)) for i, trigger in enumerate(triggers)]


def _http_pollers(ids: list[str], interval: float) -> list[Any]:
    from airflow.providers.http.triggers.http import HttpSensorTrigger

    triggers = [
        HttpSensorTrigger(
            endpoint=f"status/{item}", http_conn_id="http_bench", method="GET", poke_interval=interval
        )
        for item in ids
    ]

    async def one(trigger: HttpSensorTrigger, delay: float) -> str:
        await _after(delay)
        async for event in trigger.run():
            return "success" if event.payload is True else f"event {event.payload!r}"
        return "no event"

    return [one(trigger, interval * i / len(ids)) for i, trigger in enumerate(triggers)]


def _floor_pollers(
    ids: list[str], interval: float, base_url: str, uid: str, key: str
) -> tuple[Any, list[Any]]:
    import aiohttp

    url = base_url + "/v2/common_task/image2video/task/query"
    headers = {"Topview-Uid": uid, "Authorization": f"Bearer {key}"}
    holder: dict[str, aiohttp.ClientSession] = {}

    async def one(task_id: str, delay: float) -> str:
        await _after(delay)
        session = holder["session"]
        params = {"taskId": task_id, "needCloudFrontUrl": "true"}
        while True:
            async with session.get(url, params=params, headers=headers) as response:
                payload = json.loads(await response.text())
            if payload.get("code") == "200":
                status = str(payload["result"]["status"])
                if status in ("success", "fail"):
                    return status
            await asyncio.sleep(interval)

    async def open_session() -> None:
        holder["session"] = aiohttp.ClientSession()

    async def close_session() -> None:
        await holder["session"].close()

    pollers = [one(task_id, interval * i / len(ids)) for i, task_id in enumerate(ids)]
    return (open_session, close_session), pollers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._child_triggers")
    parser.add_argument("variant", choices=["topview", "topview-quiet", "http", "floor"])
    parser.add_argument("--ids", required=True, help="JSON file with the task ids")
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--uid", default="")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    with open(args.ids) as file:
        ids: list[str] = json.load(file)
    fd_limit = _raise_fd_limit(2 * len(ids) + 256)

    hooks: tuple[Any, Any] | None = None
    if args.variant.startswith("topview"):
        pollers = _topview_pollers(ids, args.interval, quiet=args.variant == "topview-quiet")
    elif args.variant == "http":
        pollers = _http_pollers(ids, args.interval)
    else:
        hooks, pollers = _floor_pollers(ids, args.interval, args.base_url, args.uid, args.api_key)

    async def run_all() -> list[str]:
        if hooks is not None:
            await hooks[0]()
        try:
            return list(await asyncio.wait_for(asyncio.gather(*pollers), args.timeout))
        finally:
            if hooks is not None:
                await hooks[1]()

    rss_before = _rss_now()
    cpu_before, _ = _rusage()
    started = time.monotonic()
    statuses = asyncio.run(run_all())
    wall = time.monotonic() - started
    cpu_after, peak = _rusage()
    result = {
        "cpu_s": cpu_after - cpu_before,
        "wall_s": wall,
        "peak_mib": peak,
        "rss_before_mib": rss_before,
        "fd_limit": fd_limit,
        "n": len(ids),
        "succeeded": statuses.count("success"),
        "other": sorted(set(statuses) - {"success"}),
    }
    print("BENCH-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
