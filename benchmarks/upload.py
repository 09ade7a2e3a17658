"""Benchmark 4: streaming a 1 GiB upload through ``TopviewHook.upload_file`` vs ``curl -T``.

A 1 GiB file of real bytes (an 8 MiB random block written 128 times, so reads hit the page cache, not a
sparse hole) goes to the simulator (its own process). ``topview``: a fresh child calls
``TopviewHook().upload_file(path)`` (credential, presigned PUT, check); RSS growth = ``ru_maxrss`` after
the call minus the RSS measured right before it; throughput = size / wall time of the call. ``curl``: a
fresh credential from ``GET /v1/upload/credential?format=mp4``, then ``curl -T <file> <uploadUrl>`` run
by a wrapper child, whose ``getrusage(RUSAGE_CHILDREN)`` is curl's alone; throughput from curl's wall time.
The two alternate, median of the repetitions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any

from benchmarks._common import (
    MIB,
    BenchError,
    ServerProcess,
    auth_headers,
    child_env,
    median,
    run_child,
    say,
    topview_conn,
    work_dir,
)

SIZE = 1024 * MIB
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_RSS_GROWTH_MIB = 32.0


def make_file(size: int = SIZE) -> str:
    path = work_dir() / "upload-1GiB.mp4"
    if not path.exists() or path.stat().st_size != size:
        block = os.urandom(8 * MIB)
        with path.open("wb") as out:
            for _ in range(size // len(block)):
                out.write(block)
    return str(path)


def fresh_upload_url(base_url: str) -> str:
    import requests

    answer = requests.get(
        f"{base_url}/v1/upload/credential", params={"format": "mp4"}, headers=auth_headers(), timeout=30
    ).json()
    return str(answer["result"]["uploadUrl"])


def measure(kinds: tuple[str, ...], reps: int) -> dict[str, list[dict[str, Any]]]:
    """Upload the file ``reps`` times per kind (order rotated each round) to one simulator process."""
    if shutil.which("curl") is None:
        raise BenchError(
            "curl is not installed: it is the baseline of this benchmark (apt-get install -y curl)"
        )
    path = make_file()
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    with ServerProcess("topview", max_seconds=600) as server:
        env = child_env({"AIRFLOW_CONN_TOPVIEW_DEFAULT": topview_conn(server.base_url)})
        for rep in range(reps):
            for kind in kinds[rep % len(kinds) :] + kinds[: rep % len(kinds)]:
                before = server.stats()
                extra_args = [fresh_upload_url(server.base_url)] if kind == "curl" else []
                result = run_child(
                    ["-m", "benchmarks._child_upload", kind, path, *extra_args], env=env, timeout=600
                )
                after = server.stats()
                result["mib_per_s"] = result["size"] / MIB / result["wall_s"]
                result["server_busy"] = (after["cpu_s"] - before["cpu_s"]) / result["wall_s"]
                growth = ""
                if "rss_before_mib" in result:
                    result["rss_growth_mib"] = result["peak_mib"] - result["rss_before_mib"]
                    growth = f", +{result['rss_growth_mib']:.1f} MiB RSS"
                samples[kind].append(result)
                say(
                    f"  [{rep + 1}/{reps}] {kind}: {result['mib_per_s']:.0f} MiB/s{growth}, peak "
                    f"{result['peak_mib']:.0f} MiB, client CPU {result['cpu_s']:.1f} s, "
                    f"server {result['server_busy']:.0%} of a core"
                )
        answers = server.stats()["answers"]
    if set(answers) - {"200"}:
        raise BenchError(f"the simulator answered errors during the uploads: {json.dumps(answers)}")
    return samples


def summary(items: list[dict[str, Any]]) -> dict[str, float]:
    keys = [key for key in ("mib_per_s", "rss_growth_mib", "peak_mib", "cpu_s") if key in items[0]]
    figures: dict[str, float] = {key: median([item[key] for item in items]) for key in keys}
    figures["server_busy"] = max(item["server_busy"] for item in items)
    return figures


def run(quick: bool = False) -> tuple[list[str], dict[str, Any]]:
    reps = 1 if quick else 3
    samples = measure(("topview", "curl"), reps)
    top, curl = summary(samples["topview"]), summary(samples["curl"])
    ratio = top["mib_per_s"] / curl["mib_per_s"]
    met_speed = "met" if ratio >= TARGET_THROUGHPUT_RATIO else "MISSED"
    met_rss = "met" if top["rss_growth_mib"] < TARGET_RSS_GROWTH_MIB else "MISSED"
    line = (
        f"upload 1 GiB: topview {top['mib_per_s']:.0f} MiB/s, +{top['rss_growth_mib']:.1f} MiB RSS; curl "
        f"{curl['mib_per_s']:.0f} MiB/s (peak RSS {curl['peak_mib']:.0f} MiB); "
        f"ratio throughput = {ratio:.2f} (target >= {TARGET_THROUGHPUT_RATIO}: {met_speed}), "
        f"RSS growth {top['rss_growth_mib']:.1f} MiB (target < {TARGET_RSS_GROWTH_MIB:.0f}: {met_rss})"
    )
    lines = [line]
    busiest = max(top["server_busy"], curl["server_busy"])
    if busiest > 0.9:
        lines.append(f"  note: the simulator used {busiest:.0%} of a core: it may bound both throughputs")
    figures = {"reps": reps, "topview": top, "curl": curl, "ratio": ratio, "samples": samples}
    return lines, figures


def diagnose(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.upload [--reps R] [KIND...]``: compare upload kinds against one simulator.

    Kinds: ``topview``, ``topview-1mib`` (the hook with the change suggested in the README), ``curl``.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.upload", description=diagnose.__doc__)
    parser.add_argument(
        "kinds", nargs="*", choices=["topview", "topview-1mib", "curl"], default=["topview", "curl"]
    )
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    samples = measure(tuple(args.kinds), args.reps)
    for kind, items in samples.items():
        say(f"{kind}: " + ", ".join(f"{key} {value:.2f}" for key, value in summary(items).items()))
    return 0


if __name__ == "__main__":
    sys.exit(diagnose())
