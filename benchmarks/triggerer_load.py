"""Benchmark 6: 1,000 deferred waits in one real triggerer process, against the simulator.

The simulator (its own process) holds N = 1000 tasks created beforehand that stay ``running`` for an hour.
A real deployment on loopback (api-server, scheduler, dag-processor, triggerer; sqlite) runs 40 DAGs of 25
tasks that start in the triggerer (``start_from_trigger``): the scheduler defers each task straight onto
an ``ImageToVideoTrigger`` for one of those TopView tasks, so no worker has to run 1000 submits first; the
triggerer side (trigger rows, one ``airflow triggerer`` running them in its event loop) is the same as
after a ``defer()`` on a worker.

Once every task id is being polled, and after a warm-up, a window of W seconds measures: the triggerer's
CPU (``/proc``: every process of ``airflow triggerer``, and the trigger runner alone) per status query the
simulator received in the window; memory of each process (peak RSS, and PSS/USS, since the runner is a
fork of the supervisor and shares its pages); and poll lateness: for every task id, the gaps between its
consecutive queries in the simulator's journal must not exceed 2 x the poll interval. After the
deployment stops, benchmark 2's isolated event loop (same N and interval, a fresh child) is measured
again as the same-run baseline.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psutil

from benchmarks import triggers
from benchmarks._common import MIB, BenchError, say, submit_tasks, work_dir
from benchmarks._scale_dags import TRIGGERER_DAG, TRIGGERER_WORKERS_DAG
from benchmarks._scale_deploy import SimProcess, deployment, process_tree
from tests.deployment.airflow_processes import wait_until

if TYPE_CHECKING:
    from pathlib import Path

N, PER_DAG = 1000, 25
POLL_INTERVAL = 1.0
WARM_UP, WINDOW = 10.0, 60.0
# benchmarks/README.md, benchmark 2: N = 1000 ImageToVideoTriggers in one event loop, outside a triggerer.
REFERENCE_MS_PER_POLL, REFERENCE_RSS_MIB = 0.44, 136.0
TRIGGER = "airflow_topview.triggers.image_to_video.ImageToVideoTrigger"
FROZEN_TRIGGER = "benchmarks._scale_trigger.FrozenHeapImageToVideoTrigger"


def memory(pid: int) -> dict[str, float]:
    """Peak RSS (``VmHWM``), and RSS, PSS, USS now, in MiB."""
    try:
        process = psutil.Process(pid)
        full = process.memory_full_info()
        with open(f"/proc/{pid}/status") as status:
            peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (psutil.Error, OSError, StopIteration):
        return {}
    return {"peak_rss": peak, "rss": full.rss / MIB, "pss": full.pss / MIB, "uss": full.uss / MIB}


def triggerer_processes(pid: int) -> dict[int, str]:
    """pid -> role, for ``airflow triggerer`` (the supervisor) and the processes under it."""
    found = {}
    for process in process_tree(pid):
        title = " ".join(process.cmdline())
        role = "supervisor" if process.pid == pid else ("log server" if "serve-logs" in title else "runner")
        found[process.pid] = role
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        found[pid] = times.user + times.system
    return found


def lateness(journal: list[dict[str, Any]], start: float, end: float, interval: float) -> dict[str, Any]:
    """Gaps between consecutive status queries of each task id, for queries in [start, end]."""
    times: dict[str, list[float]] = collections.defaultdict(list)
    for entry in journal:
        if entry["endpoint"] == "query" and start <= entry["t"] <= end:
            times[entry["task_id"]].append(entry["t"])
    gaps = sorted(b - a for series in times.values() for a, b in itertools.pairwise(series))
    if not gaps:
        raise BenchError("no task was polled twice in the window")
    return {
        "polled_ids": len(times),
        "gaps": len(gaps),
        "median_gap_s": gaps[len(gaps) // 2],
        "p99_gap_s": gaps[int(len(gaps) * 0.99)],
        "max_gap_s": gaps[-1],
        "late": sum(gap > 2 * interval for gap in gaps),
    }


_BLOCKED = re.compile(r"^(\S+)Z .*async thread was blocked for ([\d.]+) seconds")


def loop_blocks(log: Path, start_wall: float, end_wall: float) -> list[float]:
    """Seconds of each "async thread was blocked" warning the triggerer logged in the window."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        match = _BLOCKED.match(line)
        if match and start_wall <= datetime.fromisoformat(match.group(1) + "+00:00").timestamp() <= end_wall:
            found.append(float(match.group(2)))
    return found


def measure(
    n: int, interval: float, window: float, *, via_workers: bool = False, gc_freeze: bool = False
) -> dict[str, Any]:
    """One deployment: N waits started from the trigger (or deferred by workers), then the window."""
    sim = SimProcess("--seconds-to-finish", "3600", max_seconds=900)
    try:
        began = time.monotonic()
        ids = submit_tasks(sim.base_url, n)
        ids_path = work_dir() / "triggerer-ids.json"
        ids_path.write_text(json.dumps(ids))
        say(f"  {n} simulator tasks created: {time.monotonic() - began:.0f} s")
        settings = {
            "AIRFLOW__TRIGGERER__CAPACITY": str(n + 200),
            "AIRFLOW__TOPVIEW__MIN_POLL_INTERVAL": str(interval),
            "AIRFLOW__CORE__PARALLELISM": "32",
        }
        if via_workers:
            dag_ids = ["topview_triggerer_workers"]
            dags = TRIGGERER_WORKERS_DAG.format(ids_path=str(ids_path), poll_interval=interval)
        else:
            dag_ids = [f"topview_triggerer_load_{index:03d}" for index in range(-(-n // PER_DAG))]
            dags = TRIGGERER_DAG.format(
                ids_path=str(ids_path),
                poll_interval=interval,
                end_time=time.time() + 3600,
                per_dag=PER_DAG,
                trigger_cls=FROZEN_TRIGGER if gc_freeze else TRIGGER,
            )
        with deployment("triggerer", dags, settings, dag_ids, sim.base_url) as airflow:
            supervisor = airflow.processes["triggerer"].pid
            idle = {role: memory(pid) for pid, role in triggerer_processes(supervisor).items()}
            ramp = time.monotonic()
            for dag_id in dag_ids:
                airflow.trigger(dag_id, {})

            def all_polled() -> bool:
                return bool(sim.command(f"polls {time.monotonic() - 2 * interval}")["ids"] >= n)

            try:
                wait_until(all_polled, timeout=600, every=2.0, what=f"all {n} tasks to be polled")
            except TimeoutError as exc:
                raise BenchError(f"{exc}; logs in {airflow.home}") from None
            ramp_s = time.monotonic() - ramp
            say(f"  all {n} waits polled {ramp_s:.0f} s after the runs were triggered")
            time.sleep(WARM_UP)  # pacing: let the start-up work of the last triggers settle
            processes = triggerer_processes(supervisor)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            start, start_wall, cpu_start = time.monotonic(), time.time(), cpu_seconds(list(processes))
            sim_start = sim.command("stats")["cpu_s"]
            time.sleep(window)  # pacing: the measured window
            end, end_wall, cpu_end = time.monotonic(), time.time(), cpu_seconds(list(processes))
            sim_cpu = sim.command("stats")["cpu_s"] - sim_start
            memories = {role: memory(pid) for pid, role in processes.items()}
            blocks = loop_blocks(airflow.home / "triggerer.log", start_wall, end_wall)
        dump = sim.dump()
    finally:
        sim.stop()
    polls = sum(1 for e in dump["journal"] if e["endpoint"] == "query" and start <= e["t"] <= end)
    used = {processes[pid]: cpu_end[pid] - cpu_start[pid] for pid in cpu_start if pid in cpu_end}
    return {
        "n": n,
        "via": "workers" if via_workers else "start_from_trigger" + (", gc.freeze()" if gc_freeze else ""),
        "poll_interval_s": interval,
        "ramp_s": ramp_s,
        "window_s": end - start,
        "polls": polls,
        "polls_per_s": polls / (end - start),
        "offered_polls_per_s": n / interval,
        "ms_per_poll": 1000 * sum(used.values()) / polls,
        "runner_ms_per_poll": 1000 * used.get("runner", 0.0) / polls,
        "triggerer_cpu_share": sum(used.values()) / (end - start),
        "simulator_cpu_share": sim_cpu / (end - start),
        "cpu_s": used,
        "memory_mib": memories,
        "memory_idle_mib": idle,
        "lateness": lateness(dump["journal"], start, end, interval),
        "loop_blocks_s": blocks,
        "load_before": load,
    }


def report(live: dict[str, Any], isolated: dict[str, Any]) -> list[str]:
    late, interval, n = live["lateness"], live["poll_interval_s"], live["n"]
    mem, idle = live["memory_mib"], live["memory_idle_mib"]
    runner, supervisor = mem.get("runner", {}), mem.get("supervisor", {})

    def growth(role: str) -> float:
        return float(mem.get(role, {}).get("rss", 0.0) - idle.get(role, {}).get("rss", 0.0))

    verdict = "met" if late["late"] == 0 else f"MISSED ({late['late']} of {late['gaps']} gaps)"
    blocks = live["loop_blocks_s"]
    return [
        f"triggerer N={n} ({live['via']}), I = {interval:g} s: {live['polls_per_s']:.0f} polls/s "
        f"(offered {live['offered_polls_per_s']:.0f}); CPU {live['ms_per_poll']:.2f} ms/poll, whole "
        f"triggerer ({live['runner_ms_per_poll']:.2f} ms in the trigger runner; "
        f"{live['triggerer_cpu_share']:.0%} of a core); same-run isolated event loop "
        f"{isolated['ms_per_poll']:.2f} ms/poll ({isolated['polls_per_s']:.0f} polls/s); README "
        f"{REFERENCE_MS_PER_POLL} ms/poll",
        f"  memory: trigger runner peak RSS {runner.get('peak_rss', 0):.0f} MiB (+{growth('runner'):.0f} MiB "
        f"RSS over its {idle.get('runner', {}).get('rss', 0):.0f} MiB before the runs), supervisor peak RSS "
        f"{supervisor.get('peak_rss', 0):.0f} MiB (+{growth('supervisor'):.0f}); PSS of all triggerer "
        f"processes {sum(m.get('pss', 0) for m in mem.values()):.0f} MiB; isolated loop peak RSS "
        f"{isolated['peak_mib']:.0f} MiB (+{isolated['peak_mib'] - isolated['rss_before_mib']:.0f} over "
        f"its imports); README {REFERENCE_RSS_MIB:.0f} MiB",
        f"  poll gaps over {late['polled_ids']} task ids: median {late['median_gap_s']:.2f} s, p99 "
        f"{late['p99_gap_s']:.2f} s, max {late['max_gap_s']:.2f} s (target: none > 2 x I = "
        f"{2 * interval:g} s: {verdict}); event loop blocked > 0.2 s {len(blocks)} times in the window"
        + (f" (max {max(blocks):.2f} s)" if blocks else "")
        + f"; all {n} polled {live['ramp_s']:.0f} s after triggering",
    ]


def run(
    quick: bool = False,
    n: int = N,
    interval: float = POLL_INTERVAL,
    window: float | None = None,
    via_workers: bool = False,
    gc_freeze: bool = False,
) -> tuple[list[str], dict[str, Any]]:
    window = window or (WINDOW / 2 if quick else WINDOW)
    live = measure(n, interval, window, via_workers=via_workers, gc_freeze=gc_freeze)
    say("  isolated event loop (benchmark 2's child), same N and interval")
    isolated = triggers.measure("topview", n, interval)
    return report(live, isolated), {"live": live, "isolated": isolated}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.triggerer_load", description=__doc__)
    parser.add_argument("--n", type=int, default=N, help="number of waits")
    parser.add_argument("--interval", type=float, default=POLL_INTERVAL, help="poll interval, seconds")
    parser.add_argument("--window", type=float, default=WINDOW, help="measured window, seconds")
    parser.add_argument(
        "--via-workers", action="store_true", help="defer through LocalExecutor workers (slow ramp)"
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="diagnostic: triggers that gc.freeze() the runner's heap"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args(argv)
    lines, figures = run(
        n=args.n,
        interval=args.interval,
        window=args.window,
        via_workers=args.via_workers,
        gc_freeze=args.gc_freeze,
    )
    for line in lines:
        say(line)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
