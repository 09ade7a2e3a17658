"""`make matrix`: the provider checked on every supported Airflow minor release, one venv per row.

Each row installs ``-e '.[dev]'`` with a committed lock file (``make matrix-lock`` writes them), so a
run is reproducible and needs nothing but PyPI. Per row: every module imports, the provider registers
(scripts/matrix_checks.py), and the suite's behaviour tests pass (``-m "not deploy and not celery"``;
the deployment tests run on the latest Airflow only). The test files that never touch Airflow
(``AIRFLOW_FREE``) run on the main row only, there with Airflow unimportable. The floor row is the
lowest-direct resolution: every declared floor in pyproject.toml at once. The latest row is the main
.venv: it reuses the junit report of a ``make unit`` run from the same make invocation instead of running
the suite twice. Prints version x tests run/passed/failed/skipped/errors and exits non-zero when any row
fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATRIX_DIR = ROOT / ".matrix"
REQUIREMENTS = ROOT / "requirements"
UV = ROOT / ".venv" / "bin" / "uv"
MARKERS = "not deploy and not celery"
# Test files that never touch Airflow: the simulator's own HTTP tests, pure parsing, journal and naming
# logic, house rules. They prove the same on every Airflow version, so only the main row runs them; the
# other rows leave them out (--ignore). A file not listed here runs on every row: list a file only when
# it imports nothing of Airflow, uses no Airflow fixture and starts no Airflow process.
# tests/package/test_airflow_versions.py checks that (and that no directory of Airflow behaviour is
# listed), and the main row runs these files in a process where Airflow cannot be imported (NO_AIRFLOW).
AIRFLOW_FREE = (
    "tests/package/test_house.py",
    "tests/simulator/test_auth.py",
    "tests/simulator/test_callbacks.py",
    "tests/simulator/test_cli.py",
    "tests/simulator/test_download_faults.py",
    "tests/simulator/test_downloads.py",
    "tests/simulator/test_faults.py",
    "tests/simulator/test_faults_after_accepting.py",
    "tests/simulator/test_journal.py",
    "tests/simulator/test_lifecycle.py",
    "tests/simulator/test_models.py",
    "tests/simulator/test_notice_check.py",
    "tests/simulator/test_plugin.py",
    "tests/simulator/test_scripted_lifecycles.py",
    "tests/simulator/test_server.py",
    "tests/simulator/test_stop.py",
    "tests/simulator/test_task_family.py",
    "tests/simulator/test_task_models.py",
    "tests/simulator/test_task_rules.py",
    "tests/simulator/test_uploads.py",
    "tests/simulator/test_validation.py",
    "tests/unit/test_catalog_names.py",
    "tests/unit/test_events.py",
    "tests/unit/test_journal_copy.py",
    "tests/unit/test_lineage_names.py",
    "tests/unit/test_models.py",
    "tests/unit/test_retry_policy.py",
    "tests/unit/test_submit_journal.py",
)
# pytest in a process where importing Airflow fails and is recorded (with the test that tried): the
# airflow-free files must pass there, and must not even try (code that falls back on ImportError).
NO_AIRFLOW = """
import os, sys
import pytest

class NoAirflow:
    tried = []

    def find_spec(self, name, path=None, target=None):
        if name == "airflow" or name.startswith("airflow."):
            self.tried.append(f"{os.environ.get('PYTEST_CURRENT_TEST', 'collection')}: import {name}")
            raise ImportError(f"{name}: this test is listed in scripts/matrix.py AIRFLOW_FREE")
        return None

sys.meta_path.insert(0, NoAirflow())
code = pytest.main(sys.argv[1:])
for line in dict.fromkeys(NoAirflow.tried):
    print(f"imports Airflow: {line}")
sys.exit(code or (3 if NoAirflow.tried else 0))
"""
# Our direct runtime dependencies: the report prints the version each row installed.
DIRECT = [
    "apache-airflow",
    "apache-airflow-providers-common-compat",
    "pydantic",
    "aiohttp",
    "requests",
    "urllib3",
]


@dataclass(frozen=True)
class Row:
    version: str
    lock: Path
    resolution: str
    pins: Path | None = None  # extra constraints for the compile (what Airflow's own constraints pin)
    lowest: bool = False  # resolve our direct dependencies to their declared floors
    main_venv: bool = False  # the main .venv (make's $(STAMP)), not one built here
    deploy: tuple[str, ...] = ()  # deployment tests this row also runs (make deploy runs them all on 3.3)

    @property
    def venv(self) -> Path:
        return ROOT / ".venv" if self.main_venv else MATRIX_DIR / self.version / "venv"

    @property
    def junit(self) -> Path:
        # The main .venv's report is the one `make unit` writes (mk/matrix.mk), whatever its version.
        return MATRIX_DIR / ("unit" if self.main_venv else self.version) / "junit.xml"


ROWS = (
    Row(
        "3.1.8",
        REQUIREMENTS / "matrix-3.1.8-lowest.txt",
        "lowest-direct: every declared floor",
        lowest=True,
    ),
    Row(
        "3.2.2",
        REQUIREMENTS / "matrix-3.2.2.txt",
        "highest, 3.2.2 pins",
        pins=REQUIREMENTS / "matrix-3.2.2.in",
    ),
    Row("3.3.2", REQUIREMENTS / "constraints.txt", "highest (make lock), main .venv", main_venv=True),
    Row(
        "3.4.0b2",
        REQUIREMENTS / "matrix-3.4.0b2.txt",
        "pre-release, highest",
        pins=REQUIREMENTS / "matrix-3.4.0b2.in",
        # 3.4 discards a cleared task's task_state_store: the clear tests run in a 3.4 deployment too.
        deploy=("tests/deployment/test_clear_discards.py",),
    ),
)


@dataclass
class Result:
    row: Row
    checks: dict[str, bool] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    skips: Counter[str] = field(default_factory=Counter)
    suite_rc: int | None = None
    note: str = ""
    seconds: float = 0.0
    free: int = 0  # airflow-free tests run in the main .venv with Airflow unimportable (main row only)

    @property
    def ok(self) -> bool:
        return (
            all(self.checks.values())
            and self.suite_rc == 0
            and self.outcomes["failed"] + self.outcomes["errors"] == 0
            and self.outcomes["passed"] > 0
        )


def uv(*args: str) -> None:
    subprocess.run([str(UV), *args], check=True, cwd=ROOT)


def compile_locks(rows: list[Row]) -> None:
    """Writes each row's lock file afresh (uv would otherwise keep the pins of an existing output file)."""
    for row in rows:
        if row.main_venv:
            continue
        common = ["pip", "compile", "--quiet", "--python-version", "3.11"]
        common += ["--custom-compile-command", "make matrix-lock"]
        row.lock.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            pins = [] if row.pins is None else ["-c", str(row.pins)]
            if row.lowest:
                # Our runtime dependencies at their floors first, then the dev tools on top of those pins:
                # the floors are a promise to users, the test tools' floors are not.
                runtime = Path(tmp) / "runtime.txt"
                uv(*common, "--resolution", "lowest-direct", *pins, "pyproject.toml", "-o", str(runtime))
                pins = ["-c", str(runtime)]
            uv(*common, "--extra", "dev", *pins, "pyproject.toml", "-o", str(row.lock.relative_to(ROOT)))
        locked = pins_of(row.lock).split(",")[0]
        assert locked == f"apache-airflow {row.version}", f"{row.lock.name} resolved {locked}: rename the row"
        print(f"wrote {row.lock.relative_to(ROOT)}: {pins_of(row.lock)}")


def build(row: Row, python: str) -> None:
    """(Re)creates the row's venv when its lock or pyproject.toml changed; downloads come from uv's cache."""
    stamp = row.venv / ".matrix-stamp"
    digest = sha256(row.lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return
    shutil.rmtree(row.venv, ignore_errors=True)
    uv("venv", "--quiet", "--python", python, str(row.venv))
    uv(
        "pip", "install", "--quiet", "--compile-bytecode", "--python", str(row.venv / "bin" / "python"),
        "-c", str(row.lock), "-e", ".[dev]",
    )  # fmt: skip
    stamp.write_text(digest)


def row_env(row: Row) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_ADDOPTS", "VIRTUAL_ENV", "AIRFLOW_HOME"}}
    env["PATH"] = f"{row.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(row.venv)
    return env


def read_junit(result: Result, report: Path) -> None:
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if "error" in kinds:
            result.outcomes["errors"] += 1
        elif "failure" in kinds:
            result.outcomes["failed"] += 1
        elif "skipped" in kinds:
            result.outcomes["skipped"] += 1
            [skip] = [child for child in case if child.tag == "skipped"]
            result.skips[skip.get("message", "") or "(no reason given)"] += 1
        else:
            result.outcomes["passed"] += 1


def reusable(row: Row, reuse_after: float | None) -> bool:
    """The latest row's suite already ran in this make invocation (``make unit`` wrote its junit report)."""
    return (
        row.main_venv
        and reuse_after is not None
        and row.junit.is_file()
        and row.junit.stat().st_mtime >= reuse_after
    )


def run_row(row: Row, workers: int, reuse_after: float | None) -> Result:
    result = Result(row)
    started = time.monotonic()
    log_dir = row.junit.parent
    log_dir.mkdir(parents=True, exist_ok=True)
    python = str(row.venv / "bin" / "python")
    reused = reusable(row, reuse_after)  # before this run writes the main row's report
    for check in ("imports", "registration"):
        done = subprocess.run(
            [python, str(ROOT / "scripts" / "matrix_checks.py"), check],
            capture_output=True, text=True, cwd=ROOT, env=row_env(row), check=False,
        )  # fmt: skip
        result.checks[check] = done.returncode == 0
        output = done.stdout.strip().splitlines()[-1:] if done.returncode == 0 else [done.stdout[-3000:]]
        detail = "".join(output) or f"{check}: no output\n{done.stderr[-2000:]}"
        print(f"[{row.version}] {detail}", flush=True)
    if reused:
        result.suite_rc, result.note = 0, "suite: make unit's run"
    else:
        row.junit.unlink(missing_ok=True)
        log = log_dir / "pytest.log"
        # One worker: plain pytest in one process (no xdist controller, one Airflow home to migrate).
        spread = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else ["-p", "no:xdist"]
        # Every row but the main one leaves the airflow-free files out; the main one runs them below.
        ignore = [f"--ignore={path}" for path in AIRFLOW_FREE]
        command = f"pytest {' '.join(spread[:2])} -m '{MARKERS}' (airflow-free files left out)"
        print(f"[{row.version}] {command} > {log.relative_to(ROOT)}", flush=True)
        with log.open("w") as out:
            result.suite_rc = subprocess.run(
                [python, "-m", "pytest", *spread, "-m", MARKERS, *ignore, "-p", "no:cacheprovider",
                 f"--junitxml={row.junit}"],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=row_env(row), check=False,
            ).returncode  # fmt: skip
        print(f"[{row.version}] {summary_line(log)}", flush=True)
        if result.suite_rc:
            result.note = f"pytest exit code {result.suite_rc}, see {log.relative_to(ROOT)}"
    if row.junit.is_file():
        read_junit(result, row.junit)
    else:
        result.note = "no junit report"
    if row.main_venv:
        run_airflow_free(row, result, count=not reused)
    if row.deploy:
        run_deploy_tests(row, result)
    result.seconds = time.monotonic() - started
    return result


def run_airflow_free(row: Row, result: Result, *, count: bool) -> None:
    """The main row's airflow-free files, in a process where importing Airflow fails (``NO_AIRFLOW``).

    Within ``make test`` the suite ``make unit`` ran had them already (``count`` is false: their outcomes
    are in its report); ``make matrix`` alone ran the main row's suite without them, so they count here.
    """
    report = row.junit.with_name("airflow-free-junit.xml")
    report.unlink(missing_ok=True)
    log = row.junit.with_name("airflow-free.log")
    print(f"[{row.version}] airflow-free files, Airflow unimportable > {log.relative_to(ROOT)}", flush=True)
    with log.open("w") as out:
        code = subprocess.run(
            [str(row.venv / "bin" / "python"), "-c", NO_AIRFLOW, "-p", "no:xdist", "-m", MARKERS,
             "-p", "no:cacheprovider", f"--junitxml={report}", *AIRFLOW_FREE],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=row_env(row), check=False,
        ).returncode  # fmt: skip
    print(f"[{row.version}] airflow-free: {summary_line(log)}", flush=True)
    free = Result(row)
    if report.is_file():
        read_junit(free, report)
    result.free = sum(free.outcomes.values())
    result.checks["airflow-free"] = code == 0 and result.free > 0
    if count:
        result.outcomes.update(free.outcomes)
        result.skips.update(free.skips)
    if not result.checks["airflow-free"]:
        lines = log.read_text(errors="replace").splitlines()
        result.note += f"; airflow-free files: exit code {code}, see {log.relative_to(ROOT)}"
        result.note += "".join(f"\n  {line}" for line in lines if line.startswith("imports Airflow"))


def summary_line(log: Path) -> str:
    """pytest's closing ``=== N passed ... ===`` line (log lines printed at exit may follow it)."""
    lines = log.read_text(errors="replace").splitlines()
    summaries = [line for line in lines if line.startswith("=") and (" passed" in line or " failed" in line)]
    return (summaries or lines or ["no output"])[-1]


def run_deploy_tests(row: Row, result: Result) -> None:
    """The row's deployment tests (``-m deploy``), one at a time: each starts a whole Airflow deployment."""
    report = row.junit.with_name("deploy-junit.xml")
    report.unlink(missing_ok=True)
    log = row.junit.with_name("deploy.log")
    print(f"[{row.version}] pytest -m deploy {' '.join(row.deploy)} > {log.relative_to(ROOT)}", flush=True)
    with log.open("w") as out:
        code = subprocess.run(
            [str(row.venv / "bin" / "python"), "-m", "pytest", "-m", "deploy", "-p", "no:cacheprovider",
             f"--junitxml={report}", *row.deploy],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=row_env(row), check=False,
        ).returncode  # fmt: skip
    print(f"[{row.version}] deploy: {summary_line(log)}", flush=True)
    if report.is_file():
        read_junit(result, report)
    if code or not report.is_file():
        result.suite_rc = result.suite_rc or code or 1
        result.note += f"; deploy tests: exit code {code}, see {log.relative_to(ROOT)}"


def pins_of(lock: Path) -> str:
    found = dict(line.split("==", 1) for line in lock.read_text().splitlines() if "==" in line)
    return ", ".join(f"{name.removeprefix('apache-airflow-providers-')} {found[name]}" for name in DIRECT)


def report(results: list[Result], seconds: float) -> None:
    header = ["airflow", "resolution", "imports", "register", "tests", "passed", "failed", "skipped"]
    header += ["errors", "airflow-free tests", "time", ""]
    table = [header]
    for r in results:
        counts = [str(r.outcomes[kind]) for kind in ("passed", "failed", "skipped", "errors")]
        checks = ["ok" if r.checks.get(name) else "FAIL" for name in ("imports", "registration")]
        if r.row.main_venv:
            free = f"{r.free} ran" if r.checks.get("airflow-free") else "FAIL"
        else:
            free = "left out"
        verdict = "ok" if r.ok else "FAIL"
        ran = str(sum(r.outcomes.values()))
        table.append(
            [r.row.version, r.row.resolution, *checks, ran, *counts, free, f"{r.seconds:.0f}s", verdict]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print("\n" + "=" * 30 + f" Airflow version matrix ({seconds:.0f}s) " + "=" * 30)
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    for r in results:
        note = f"; {r.note}" if r.note else ""
        print(f"{r.row.version}: {r.row.lock.relative_to(ROOT)}: {pins_of(r.row.lock)}{note}")
        for reason, count in sorted(r.skips.items()):
            print(f"  skipped {count}x: {reason}")
    main = [r.row.version for r in results if r.row.main_venv]
    where = f"ran on the main row ({main[0]}) only" if main else "ran on no row (the main row did not run)"
    print(
        f"airflow-free tests ({len(AIRFLOW_FREE)} files, scripts/matrix.py AIRFLOW_FREE): {where}, in a "
        "process where Airflow cannot be imported; every other test ran on every row"
    )


def share_workers(suites: list[Row], workers: int) -> dict[Row, int]:
    """Pytest processes per row: one each, the extra ones to the rows whose suite a deployment follows."""
    share = dict.fromkeys(suites, 1)
    order = sorted(suites, key=lambda row: not row.deploy)
    for extra in range(max(0, workers - len(suites)) if suites else 0):
        share[order[extra % len(order)]] += 1
    return share


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("lock", "run"))
    parser.add_argument("--rows", default="", help="comma-separated Airflow versions (default: all)")
    parser.add_argument(
        "--workers",
        type=int,
        default=3,
        help="pytest processes in all for the rows' suites, which run at once: each row gets one, the extra "
        "ones go to the rows with deployment tests first (a row with one runs plain pytest, no xdist)",
    )
    parser.add_argument("--reuse-after", type=float, help="latest row: reuse a junit report newer than this")
    args = parser.parse_args()
    wanted = {version for version in args.rows.split(",") if version}
    unknown = wanted - {row.version for row in ROWS}
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; rows: {[row.version for row in ROWS]}")
    rows = [row for row in ROWS if not wanted or row.version in wanted]
    if args.command == "lock":
        compile_locks(rows)
        return 0
    for row in rows:
        locked = pins_of(row.lock).split(",")[0]
        if locked != f"apache-airflow {row.version}":
            parser.error(f"row {row.version}: {row.lock.relative_to(ROOT)} installs {locked}")
    started = time.monotonic()
    for row in rows:  # one at a time: each writes the project's egg-info for its editable install
        if not row.main_venv:
            build(row, sys.executable)
    workers = share_workers([row for row in rows if not reusable(row, args.reuse_after)], args.workers)
    # Every row at once: a pytest process keeps about half a core busy (the rest of its time it waits on
    # the simulator, Airflow's subprocesses and timers), so one per row uses the cores without crowding them.
    with ThreadPoolExecutor(len(rows)) as pool:
        results = list(pool.map(lambda row: run_row(row, workers.get(row, 1), args.reuse_after), rows))
    report(results, time.monotonic() - started)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
