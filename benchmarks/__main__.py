"""``python -m benchmarks [import|triggers|slots|upload|scale|triggerer ...] [--quick] [--json FILE]``.

Runs the benchmarks (``make bench``), each against its baseline in the same run, and prints its result
lines (``triggers`` one per N, ``scale`` one per variant). Progress lines start with two spaces. The two
that start a whole Airflow deployment (``scale``, ``triggerer``: ~20 min together) run only when named.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from benchmarks import import_cost, scale, slots, triggerer_load, triggers, upload
from benchmarks._common import PYTHON, BenchError, child_env, load_average, say

if TYPE_CHECKING:
    from collections.abc import Callable

BENCHMARKS: dict[str, Callable[[bool], tuple[list[str], dict[str, Any]]]] = {
    "import": import_cost.run,
    "triggers": triggers.run,
    "slots": slots.run,
    "upload": upload.run,
    "scale": scale.run,
    "triggerer": triggerer_load.run,
}
DEPLOYMENT_BENCHMARKS = ("scale", "triggerer")


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model
            )
    except OSError:
        pass
    versions = subprocess.run(
        [
            PYTHON,
            "-c",
            "import airflow, aiohttp, requests; print(airflow.__version__, aiohttp.__version__, "
            "requests.__version__)",
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "airflow": versions[0] if versions else "?",
        "aiohttp": versions[1] if len(versions) > 1 else "?",
        "requests": versions[2] if len(versions) > 2 else "?",
        "kernel": platform.release(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "which",
        nargs="*",
        metavar="BENCHMARK",
        help=f"any of {', '.join(BENCHMARKS)} (default: all but {' and '.join(DEPLOYMENT_BENCHMARKS)})",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, not figures)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure and sample to FILE")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.which) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    chosen = args.which or [name for name in BENCHMARKS if name not in DEPLOYMENT_BENCHMARKS]

    info = machine()
    say(
        f"benchmarks {' '.join(chosen)}{' (quick)' if args.quick else ''}: "
        f"{info['nproc']} CPUs ({info['cpu']}), "
        f"Python {info['python']}, Airflow {info['airflow']}; load average {load_average()}"
    )
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": info,
        "load_before": load_average(),
        "results": {},
    }
    lines: list[str] = []
    failed = False
    began = time.monotonic()
    for name in chosen:
        say(f"== {name}")
        started = time.monotonic()
        try:
            result_lines, figures = BENCHMARKS[name](args.quick)
        except BenchError as exc:
            failed = True
            result_lines, figures = [f"{name}: FAILED: {exc}"], {"error": str(exc)}
        figures["seconds"] = time.monotonic() - started
        report["results"][name] = figures
        for line in result_lines:
            say(line)
        lines += result_lines
    report["load_after"] = load_average()
    report["seconds"] = time.monotonic() - began
    say(
        f"== summary ({report['seconds'] / 60:.1f} min; load average before {report['load_before']}, "
        f"after {report['load_after']})"
    )
    for line in lines:
        say(line)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
