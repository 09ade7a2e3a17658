"""The simulator of the deployment benchmarks (``scale``, ``triggerer``), in its own process.

``python -m benchmarks._scale_sim --seconds-to-finish 6 --max-running 5``

Runs the package's :class:`~airflow_topview.testing.TopviewSimulator` on 127.0.0.1 (a free port) without
its per-request log lines, prints its base URL, and answers lines on stdin:

``dump PATH``
    writes the journal and the created tasks to PATH as JSON and answers a JSON line with counts and the
    simulator's CPU seconds. Journal times are ``time.monotonic()`` (one clock for every process on the
    machine); ``wall_offset`` converts them to UNIX time.
``stats``
    answers the counts and CPU seconds only;
``polls SINCE``
    answers how many status queries arrived since the monotonic time SINCE, and for how many task ids.

It exits when stdin closes, or by itself after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import select
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_topview.testing import TopviewSimulator


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stats(sim: TopviewSimulator) -> dict[str, Any]:
    journal = sim.journal
    return {
        "requests": dict(collections.Counter(entry.endpoint for entry in journal)),
        "codes": dict(collections.Counter(str(entry.code) for entry in journal)),
        "tasks": len(sim.tasks),
        "cpu_s": _cpu_seconds(),
    }


def _polls(sim: TopviewSimulator, since: float) -> dict[str, Any]:
    ids = [
        entry.query.get("taskId")
        for entry in sim.journal
        if entry.endpoint == "query" and entry.received_at >= since
    ]
    return {"queries": len(ids), "ids": len(set(ids)), "cpu_s": _cpu_seconds()}


def _dump(sim: TopviewSimulator, path: str) -> dict[str, Any]:
    journal = [
        {
            "endpoint": entry.endpoint,
            "t": entry.received_at,
            "status": entry.status,
            "code": entry.code,
            "task_id": entry.query.get("taskId"),
            "prompt": entry.json.get("prompt") if isinstance(entry.json, dict) else None,
        }
        for entry in sim.journal
    ]
    tasks = [
        {"task_id": task_id, "prompt": task.body.get("prompt"), "image": task.body.get("firstFrameFileId")}
        for task_id, task in sim.tasks.items()
    ]
    with open(path, "w") as out:
        json.dump({"journal": journal, "tasks": tasks, "wall_offset": time.time() - time.monotonic()}, out)
    return _stats(sim)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._scale_sim", description=__doc__)
    parser.add_argument("--seconds-to-finish", type=float, default=None)
    parser.add_argument("--polls-to-finish", type=int, default=2)
    parser.add_argument("--max-running", type=int, default=None)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args(argv)

    from airflow_topview.testing import TopviewSimulator
    from benchmarks._common import API_KEY, UID

    sim = TopviewSimulator(
        uid=UID,
        api_key=API_KEY,
        polls_to_finish=args.polls_to_finish,
        seconds_to_finish=args.seconds_to_finish,
        max_running=args.max_running,
        host="127.0.0.1",
        port=0,
        credits=1e12,
    )
    deadline = time.monotonic() + args.max_seconds
    with sim:
        print(sim.base_url, flush=True)
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sys.stdin], [], [], min(remaining, 1.0))
            if not ready:
                continue
            line = sys.stdin.readline()
            if not line:
                return 0
            command, _, argument = line.strip().partition(" ")
            if command == "dump":
                print(json.dumps(_dump(sim, argument)), flush=True)
            elif command == "polls":
                print(json.dumps(_polls(sim, float(argument))), flush=True)
            elif command == "stats":
                print(json.dumps(_stats(sim)), flush=True)
        print("max-seconds reached, stopping", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
