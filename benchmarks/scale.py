"""Benchmark 5: N = 60 mapped submit-and-wait tasks against a TopView limit of 5, in a real deployment.

One Airflow deployment on loopback (api-server, scheduler with LocalExecutor and parallelism 16,
dag-processor, triggerer; sqlite), one DAG run per variant, each against a fresh simulator that runs
at most 5 tasks at once (4007 past that) and finishes each 6 s after its submit:

(a) ``inworker``: deferrable, but a 4007 is waited out in the worker (the behaviour before issue 15 item 1,
    recreated in the DAG file: the hook's own retry loop sleeps);
(b) ``defer``: the shipped behaviour, a 4007 defers on a timer and submits again on resume;
(c) ``pool``: as (b), in an Airflow pool of 5 slots that counts deferred tasks.

Figures per variant (see README, "Method" of this benchmark): wall time from the first task's start to
the last task's end against the ideal N / 5 x 6 s = 72 s; worker-slot seconds per video from the
supervisor's ``Workload finished`` records; executor CPU per video from ``/proc``; 4007 answers and
duplicate submits from the simulator's journal.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time
from typing import Any

from benchmarks._common import BenchError, median, say, upload_tiny_png
from benchmarks._scale_dags import SCALE_DAG
from benchmarks._scale_deploy import (
    SimProcess,
    add_connection,
    cpu_snapshot,
    deployment,
    finished_workloads,
    task_instances,
    utc_seconds,
)
from tests.deployment.airflow_processes import AirflowDeployment, wait_until

N, LIMIT, SECONDS = 60, 5, 6.0
IDEAL = N / LIMIT * SECONDS
POOL = "topview_scale"
VARIANTS = {
    "inworker": "(a) in-worker busy wait",
    "defer": "(b) defer on busy",
    "pool": "(c) pool of 5, deferred counted",
}
# What a user running 60 short generations against a limit of 5 would set (see README).
POLL_INTERVAL = 0.5
HOOK_PARAMS = {"retry_delay": 12.0, "retry_max_delay": 12.0}
TUNING: dict[str, Any] = {
    "poll_interval": POLL_INTERVAL,
    "hook_params": HOOK_PARAMS,
    "retries": 3,
    "retry_delay": 1.0,
}
SETTINGS = {
    "AIRFLOW__CORE__PARALLELISM": "16",
    "AIRFLOW__TOPVIEW__MIN_POLL_INTERVAL": str(POLL_INTERVAL),
}
SLOT_TARGET, WALL_TARGET = 2.0, 1.3
RUN_TIMEOUT = 420.0


def _wait_for_workloads(airflow: AirflowDeployment, ti_ids: set[str], timeout: float) -> list[dict[str, Any]]:
    """The run's workload records, once every task instance's last workload has been reported."""

    def complete() -> list[dict[str, Any]] | None:
        mine = [w for w in finished_workloads(airflow.home / "scheduler.log") if w["ti_id"] in ti_ids]
        ended = {w["ti_id"] for w in mine if w["final_state"] in ("success", "failed")}
        return mine if ended >= ti_ids else None

    try:
        return wait_until(complete, timeout=timeout, what="the last workloads to be reported")
    except TimeoutError:
        return [w for w in finished_workloads(airflow.home / "scheduler.log") if w["ti_id"] in ti_ids]


def run_variant(airflow: AirflowDeployment, variant: str) -> dict[str, Any]:
    dag_id = f"topview_scale_{variant}"
    sim = SimProcess("--seconds-to-finish", str(SECONDS), "--max-running", str(LIMIT), max_seconds=900)
    try:
        add_connection(airflow, dag_id, sim.base_url)
        file_id = upload_tiny_png(sim.base_url)
        cpu_before, began = cpu_snapshot(airflow, simulator=sim.process.pid), time.monotonic()
        run_id = airflow.trigger(dag_id, {"file_id": file_id})
        try:
            state = airflow.wait_for_run_end(dag_id, run_id, timeout=RUN_TIMEOUT)
        except TimeoutError as exc:
            raise BenchError(f"{variant}: {exc}; logs in {airflow.home}") from None
        tis = task_instances(airflow, dag_id, run_id)
        workloads = _wait_for_workloads(airflow, {ti["id"] for ti in tis}, timeout=30)
        cpu_after, seconds = cpu_snapshot(airflow, simulator=sim.process.pid), time.monotonic() - began
        dump = sim.dump()
    finally:
        sim.stop()
    submits = [e for e in dump["journal"] if e["endpoint"] == "submit"]
    per_prompt = collections.Counter(task["prompt"] for task in dump["tasks"])
    starts = [utc_seconds(ti["start_date"]) for ti in tis]
    ends = [utc_seconds(ti["end_date"]) for ti in tis]
    if None in starts or None in ends:
        raise BenchError(f"{variant}: a task instance has no start or end date")
    wall = max(e for e in ends if e) - min(s for s in starts if s)
    run = airflow.get(f"/dags/{dag_id}/dagRuns/{run_id}")
    run_wall = (utc_seconds(run["end_date"]) or 0.0) - (utc_seconds(run["start_date"]) or 0.0)
    slot = sum(w["duration"] for w in workloads)
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    races = sum(
        f"<TaskInstance: {dag_id}." in line and "state attribute is" in line
        for line in (airflow.home / "scheduler.log").read_text(errors="replace").splitlines()
    )
    tails = [w["tail"] for w in workloads if w["tail"] is not None]
    return {
        "variant": variant,
        "state": state,
        "succeeded": sum(ti["state"] == "success" for ti in tis),
        "wall_s": wall,
        "run_wall_s": run_wall,
        "ratio": wall / IDEAL,
        "slot_s_per_video": slot / N,
        "workloads": len(workloads),
        "stalled_workloads": sum(t > 1.0 for t in tails),
        "tail_s_per_video": sum(tails) / N,
        "median_workload_s": median([w["duration"] for w in workloads]),
        "cpu_s_per_video": cpu["executor"] / N,
        "cpu_s": cpu,
        "cpu_window_s": seconds,
        "deployment_cpu_share": sum(cpu[name] for name in cpu if name not in ("executor", "machine"))
        / seconds,
        "machine_cpu_share": cpu["machine"] / seconds,
        "busy_4007": sum(e["code"] == "4007" for e in submits),
        "submits": len(submits),
        "created": len(dump["tasks"]),
        "duplicates": sum(count - 1 for count in per_prompt.values() if count > 1),
        "missing": N - len(per_prompt),
        "retries": sum(max(0, int(ti["try_number"]) - 1) for ti in tis),
        "races": races,
    }


def describe(f: dict[str, Any]) -> str:
    """One result line per variant."""
    return (
        f"scale {VARIANTS[f['variant']]}: wall {f['wall_s']:.0f} s = {f['ratio']:.2f}x ideal "
        f"(run {f['run_wall_s']:.0f} s); worker slot {f['slot_s_per_video']:.2f} s/video "
        f"({f['workloads']} workloads, median {f['median_workload_s']:.1f} s; "
        f"of which {f['tail_s_per_video']:.2f} s/video after the task's last line, "
        f"{f['stalled_workloads']} workloads > 1 s); executor CPU {f['cpu_s_per_video']:.2f} s/video; "
        f"4007 x {f['busy_4007']} ({f['submits']} submits); duplicates {f['duplicates']}; "
        f"{f['succeeded']}/{N} succeeded, {f['retries']} Airflow retries ({f['races']} tries failed by the "
        f"scheduler's late-report race); CPU: deployment + simulator {f['deployment_cpu_share']:.0%}, "
        f"whole machine {f['machine_cpu_share']:.0%} of one core"
    )


def verdicts(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for variant in ("defer", "pool"):
        if variant in results:
            slot = results[variant]["slot_s_per_video"]
            lines.append(
                f"  target {VARIANTS[variant]}: worker slot < {SLOT_TARGET:.0f} s/video: {slot:.2f} s: "
                + ("met" if slot < SLOT_TARGET else "MISSED")
            )
    if "pool" in results:
        ratio = results["pool"]["ratio"]
        lines.append(
            f"  target (c): wall <= {WALL_TARGET}x ideal ({IDEAL:.0f} s): {ratio:.2f}x: "
            + ("met" if ratio <= WALL_TARGET else "MISSED")
        )
    dups = {v: r["duplicates"] + r["missing"] for v, r in results.items()}
    lines.append(
        "  target: 0 duplicates (and no image left out) everywhere: "
        + ("met" if not any(dups.values()) else f"MISSED {dups}")
    )
    return lines


def run(
    quick: bool = False, variants: list[str] | None = None, settings: dict[str, str] | None = None
) -> tuple[list[str], dict[str, Any]]:
    chosen = variants or list(VARIANTS)
    dags = SCALE_DAG.format(n=N, tuning=TUNING, pool=POOL)
    results: dict[str, dict[str, Any]] = {}
    with deployment(
        "scale", dags, {**SETTINGS, **(settings or {})}, [f"topview_scale_{v}" for v in chosen]
    ) as airflow:
        airflow.send("POST", "/pools", {"name": POOL, "slots": LIMIT, "include_deferred": True})
        for variant in chosen:
            began = time.monotonic()
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            results[variant] = run_variant(airflow, variant)
            say(f"  {describe(results[variant])} [{time.monotonic() - began:.0f} s; load before {load}]")
    lines = [describe(results[v]) for v in chosen] + verdicts(results)
    figures: dict[str, Any] = {
        "n": N,
        "limit": LIMIT,
        "seconds_to_finish": SECONDS,
        "ideal_s": IDEAL,
        "tuning": TUNING,
        "settings": {**SETTINGS, **(settings or {})},
        "variants": results,
    }
    return lines, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("variants", nargs="*", help=f"any of {', '.join(VARIANTS)} (default: all three)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="extra Airflow setting (diagnostics)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args(argv)
    if unknown := set(args.variants) - set(VARIANTS):
        parser.error(f"unknown variant(s): {', '.join(sorted(unknown))}")
    extra = dict(item.split("=", 1) for item in args.set)
    lines, figures = run(variants=args.variants or None, settings=extra)
    for line in lines:
        say(line)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
