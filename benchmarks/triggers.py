"""Benchmark 2: waiting at scale in one triggerer (one process, one event loop).

For N = 100, 500, 1000 concurrent waits, each finishing at its K-th poll (K = 20), measure client CPU
per poll and client peak RSS of:

- ``topview``: N ``ImageToVideoTrigger.run()`` against the simulator (``polls_to_finish=K``);
- ``HttpSensorTrigger``: N of providers-http's trigger against the ``http404`` server (404 until the K-th
  call for an id, then 200);
- ``floor``: bare aiohttp, one shared session, the same GETs to the simulator with auth headers and JSON
  parsing.

Every measurement runs in a fresh child (:mod:`benchmarks._child_triggers`) against a fresh server
process; polls are counted by the server. The poll interval is N / 2000 s (0.05, 0.25, 0.5 s): 2000
polls/s offered at every N, so that the server and the cheaper clients keep up on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from benchmarks._common import (
    API_KEY,
    UID,
    BenchError,
    ServerProcess,
    child_env,
    median,
    run_child,
    say,
    submit_tasks,
    topview_conn,
    work_dir,
)

K = 20
SIZES = (100, 500, 1000)
OFFERED_POLLS_PER_SECOND = 2000.0
VARIANTS = ("floor", "topview", "http")
LABELS = {
    "topview": "topview",
    "http": "HttpSensorTrigger",
    "floor": "floor",
    "topview-quiet": "topview-quiet",
}
TARGET_RATIO = 1.5


def interval_for(n: int) -> float:
    return max(0.05, n / OFFERED_POLLS_PER_SECOND)


def measure(variant: str, n: int, interval: float) -> dict[str, Any]:
    """One measurement: fresh server, tasks created (not measured), fresh child measured."""
    if variant == "http":
        server = ServerProcess("http404", "--k", str(K))
        endpoint = "status"
    else:
        server = ServerProcess("topview", "--polls-to-finish", str(K))
        endpoint = "query"
    with server:
        if variant == "http":
            ids = [f"wait-{index}" for index in range(n)]
        else:
            ids = submit_tasks(server.base_url, n)
        ids_file = work_dir() / f"ids-{variant}-{n}.json"
        ids_file.write_text(json.dumps(ids))
        env = child_env(
            {
                "AIRFLOW_CONN_TOPVIEW_DEFAULT": topview_conn(server.base_url),
                "AIRFLOW_CONN_HTTP_BENCH": json.dumps({"conn_type": "http", "host": server.base_url}),
            }
        )
        before = server.stats()
        child = run_child(
            [
                "-m",
                "benchmarks._child_triggers",
                variant,
                "--ids",
                str(ids_file),
                "--interval",
                str(interval),
                "--base-url",
                server.base_url,
                "--uid",
                UID,
                "--api-key",
                API_KEY,
                "--timeout",
                str(max(120.0, 20 * K * interval)),
            ],
            env=env,
            timeout=max(300.0, 40 * K * interval),
        )
        after = server.stats()
    polls = after["requests"].get(endpoint, 0) - before["requests"].get(endpoint, 0)
    if child["succeeded"] != n:
        raise BenchError(f"{variant} N={n}: {child['succeeded']} of {n} waits succeeded ({child['other']})")
    if polls != n * K:
        raise BenchError(f"{variant} N={n}: the server counted {polls} polls, expected N x K = {n * K}")
    server_busy = (after["cpu_s"] - before["cpu_s"]) / child["wall_s"]
    return {
        "variant": variant,
        "n": n,
        "interval_s": interval,
        "polls": polls,
        "expected_polls": n * K,
        "ms_per_poll": child["cpu_s"] * 1000 / polls,
        "peak_mib": child["peak_mib"],
        "rss_before_mib": child["rss_before_mib"],
        "wall_s": child["wall_s"],
        "client_busy": child["cpu_s"] / child["wall_s"],
        "server_busy": server_busy,
        "polls_per_s": polls / child["wall_s"],
    }


def plan(quick: bool) -> list[tuple[int, str]]:
    """(N, variant) measurements in run order: repetitions interleaved, variant order rotated each time.

    HttpSensorTrigger is the slow one (CPU-bound here): 3 runs at N = 100 and 500, one at N = 1000 (no
    target uses it there); ``--quick`` runs everything once and skips it at N = 1000.
    """
    reps = 1 if quick else 3
    order: list[tuple[int, str]] = []
    for rep in range(reps):
        for n in SIZES:
            variants = VARIANTS[rep % 3 :] + VARIANTS[: rep % 3]
            for variant in variants:
                if variant == "http" and n == 1000 and (quick or rep > 0):
                    continue
                order.append((n, variant))
    return order


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for run in runs:
        by.setdefault((run["n"], run["variant"]), []).append(run)
    table: dict[str, Any] = {}
    for (n, variant), items in sorted(by.items()):
        table.setdefault(str(n), {})[variant] = {
            "runs": len(items),
            "ms_per_poll": median([item["ms_per_poll"] for item in items]),
            "peak_mib": median([item["peak_mib"] for item in items]),
            "rss_before_mib": median([item["rss_before_mib"] for item in items]),
            "wall_s": median([item["wall_s"] for item in items]),
            "client_busy": median([item["client_busy"] for item in items]),
            "server_busy": max(item["server_busy"] for item in items),
            "polls_per_s": median([item["polls_per_s"] for item in items]),
            "polls": items[0]["polls"],
            "expected_polls": items[0]["expected_polls"],
            "interval_s": items[0]["interval_s"],
            "all_ms_per_poll": [round(item["ms_per_poll"], 4) for item in items],
        }
    return table


def report(table: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for n in SIZES:
        row = table.get(str(n))
        if not row:
            continue
        parts = []
        for variant in ("topview", "http", "floor"):
            if variant in row:
                cell = row[variant]
                note = (
                    f" ({cell['runs']} run)" if cell["runs"] == 1 and variant == "http" and n == 1000 else ""
                )
                parts.append(
                    f"{LABELS[variant]} {cell['ms_per_poll']:.2f} ms/poll, {cell['peak_mib']:.0f} MiB{note}"
                )
        line = f"triggers N={n}: " + "; ".join(parts)
        if "topview" in row and "floor" in row:
            ratio = row["topview"]["ms_per_poll"] / row["floor"]["ms_per_poll"]
            row["ratio"] = ratio
            verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
            line += f"; ratio topview/floor = {ratio:.2f} (target <= {TARGET_RATIO}: {verdict})"
        busy = max(cell["server_busy"] for cell in row.values() if isinstance(cell, dict))
        if busy > 0.9:
            line += f"  [server near saturation: {busy:.0%} of a core]"
        lines.append(line)
    top, http = table.get("1000", {}).get("topview"), table.get("500", {}).get("http")
    if top and http:
        verdict = "met" if top["peak_mib"] < http["peak_mib"] else "MISSED"
        lines.append(
            f"topview peak at N=1000 = {top['peak_mib']:.0f} MiB vs HttpSensorTrigger at N=500 = "
            f"{http['peak_mib']:.0f} MiB (target: less: {verdict})"
        )
    return lines


def run(quick: bool = False) -> tuple[list[str], dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    order = plan(quick)
    for index, (n, variant) in enumerate(order, 1):
        result = measure(variant, n, interval_for(n))
        runs.append(result)
        say(
            f"  [{index}/{len(order)}] N={n} {LABELS[variant]}: {result['ms_per_poll']:.3f} ms/poll, "
            f"{result['peak_mib']:.0f} MiB peak, {result['polls']} polls in {result['wall_s']:.1f} s "
            f"(client {result['client_busy']:.0%}, server {result['server_busy']:.0%} of a core)"
        )
    table = summarize(runs)
    lines = report(table)
    return lines, {"k": K, "sizes": list(SIZES), "table": table, "runs": runs}


def diagnose(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.triggers [--n N] [--reps R] VARIANT...``: compare variants at one N.

    Besides ``topview``, ``http`` and ``floor``, ``topview-quiet`` is the topview trigger with its logger
    silenced: what the per-poll status line costs (see README, "Where topview's CPU per poll goes").
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.triggers", description=diagnose.__doc__)
    parser.add_argument("variants", nargs="+", choices=["topview", "topview-quiet", "http", "floor"])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[str, list[float]] = {variant: [] for variant in args.variants}
    for rep in range(args.reps):
        for variant in args.variants[rep % len(args.variants) :] + args.variants[: rep % len(args.variants)]:
            result = measure(variant, args.n, interval_for(args.n))
            results[variant].append(result["ms_per_poll"])
            say(f"  N={args.n} {variant}: {result['ms_per_poll']:.3f} ms/poll, {result['peak_mib']:.0f} MiB")
    for variant, values in results.items():
        say(f"{variant}: median {median(values):.3f} ms/poll over {len(values)} runs {values}")
    return 0


if __name__ == "__main__":
    sys.exit(diagnose())
