"""`make matrix`: the provider checked on every supported Airflow minor release, one venv per row.

Each row installs ``-e '.[dev]'`` with a committed lock file (``make matrix-lock`` writes them), so a
run is reproducible and needs nothing but PyPI. Per row: every module imports, the provider registers
(scripts/matrix_checks.py), and the suite's behaviour tests pass (``-m "not deploy and not celery"``;
the deployment tests run on the latest Airflow only). The test files that never touch Airflow
(``AIRFLOW_FREE``) run on the main row only, there with Airflow unimportable; so do the few files that
touch Airflow but prove scale, or nothing that depends on its version (``MAIN_ROW_ONLY``). The floor row
is the lowest-direct resolution: every declared floor in pyproject.toml at once. The latest row is the main
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
# Test files that touch Airflow and still run on the main row only: what they prove is scale, or is the
# same on every Airflow version. Each names why one row is enough, and the files that prove on every row
# what in it does depend on Airflow (those must run on every row). The other rows leave them out
# (--ignore), as they do the airflow-free files; docs/airflow-versions.md lists them with the same
# reasons, and tests/package/test_airflow_versions.py checks both (and that no deployment test is here).
MAIN_ROW_ONLY: dict[str, tuple[str, tuple[str, ...]]] = {
    "tests/hardening/test_load.py": (
        "scale: 100 mapped submit+wait tasks against the concurrency limit; the hook absorbs 4007 the same "
        "way on every Airflow",
        ("tests/hooks/test_fault_matrix.py", "tests/package/test_observability.py"),
    ),
    "tests/hardening/test_secret_scan_types.py": (
        "the other task types' keys reach Airflow through the same hook and masker as Image-to-Video's; "
        "what differs by type is the provider's endpoints and bodies",
        ("tests/hardening/test_secret_scan.py",),
    ),
    "tests/package/test_demo_hint.py": (
        "`make demo` and the command it prints run the main .venv's Airflow only",
        ("tests/package/test_example_dags.py",),
    ),
    "tests/package/test_examples_alone.py": (
        "what lies beside a copied example (nothing: the samples come from the installed package) is the "
        "same on every Airflow; the examples parse and run with `airflow dags test` on every row",
        ("tests/package/test_example_dags.py", "tests/package/test_observability.py"),
    ),
    "tests/simulator/test_user_project.py": (
        "pytest loading the plugin in a user's project is pytest's; the plugin's Airflow parts (a home set "
        "before Airflow is imported, `airflow db migrate`, the DAG runner) are what tests/conftest.py and "
        "every DAG test run on every row",
        ("tests/package/test_example_dags.py", "tests/sensors/test_waiting.py"),
    ),
}
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
    main_only: int = 0  # tests of MAIN_ROW_ONLY files in the row's suite (main row only)

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
    """Checks, then the row's parts side by side: its suite, the airflow-free files, its deploy tests."""
    result = Result(row)
    started = time.monotonic()
    row.junit.parent.mkdir(parents=True, exist_ok=True)
    reused = reusable(row, reuse_after)  # before this run writes the main row's report
    for check in ("imports", "registration"):
        done = subprocess.run(
            [str(row.venv / "bin" / "python"), str(ROOT / "scripts" / "matrix_checks.py"), check],
            capture_output=True, text=True, cwd=ROOT, env=row_env(row), check=False,
        )  # fmt: skip
        result.checks[check] = done.returncode == 0
        output = done.stdout.strip().splitlines()[-1:] if done.returncode == 0 else [done.stdout[-3000:]]
        detail = "".join(output) or f"{check}: no output\n{done.stderr[-2000:]}"
        print(f"[{row.version}] {detail}", flush=True)
    # Each part is its own pytest process (or xdist workers) writing its own report: they run side by
    # side (a deployment mostly waits on Airflow's components and the simulator), and are read after.
    with ThreadPoolExecutor(3) as pool:
        suite = pool.submit(run_suite, row, workers) if not reused else None
        free = pool.submit(run_airflow_free, row) if row.main_venv else None
        deploy = pool.submit(run_deploy_tests, row) if row.deploy else None
        if suite is None:
            result.suite_rc, result.note = 0, "suite: make unit's run"
        else:
            result.suite_rc = suite.result()
            if result.suite_rc:
                log = row.junit.with_name("pytest.log")
                result.note = f"pytest exit code {result.suite_rc}, see {log.relative_to(ROOT)}"
        if row.junit.is_file():
            read_junit(result, row.junit)
            result.main_only = sum(1 for case in testcases(row.junit) if file_of(case) in MAIN_ROW_ONLY)
        else:
            result.note += "; no junit report"
        if free is not None:
            add_airflow_free(result, *free.result(), count=not reused)
        if deploy is not None:
            add_deploy_tests(result, deploy.result())
    result.seconds = time.monotonic() - started
    return result


def left_out(row: Row) -> tuple[str, ...]:
    """The test files a row's suite leaves out: the airflow-free ones (the main row runs them apart,
    without Airflow) and, but on the main row, the main-row-only ones."""
    return AIRFLOW_FREE if row.main_venv else (*AIRFLOW_FREE, *MAIN_ROW_ONLY)


def run_suite(row: Row, workers: int) -> int:
    """The row's suite less the files it leaves out; returns pytest's exit code."""
    row.junit.unlink(missing_ok=True)
    log = row.junit.with_name("pytest.log")
    # One worker: plain pytest in one process (no xdist controller, one Airflow home to migrate).
    spread = ["-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder"]  # Makefile's XDIST
    spread = spread if workers > 1 else ["-p", "no:xdist"]
    which = "airflow-free" if row.main_venv else "airflow-free and main-row-only"
    command = f"pytest {' '.join(spread[:2])} -m '{MARKERS}' ({which} files left out)"
    print(f"[{row.version}] {command} > {log.relative_to(ROOT)}", flush=True)
    with log.open("w") as out:
        code = subprocess.run(
            [str(row.venv / "bin" / "python"), "-m", "pytest", *spread, "-m", MARKERS,
             *(f"--ignore={path}" for path in left_out(row)), "-p", "no:cacheprovider",
             f"--junitxml={row.junit}"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=row_env(row), check=False,
        ).returncode  # fmt: skip
    print(f"[{row.version}] {summary_line(log)}", flush=True)
    return code


def testcases(report: Path) -> list[ET.Element]:
    return list(ET.parse(report).getroot().iter("testcase"))


def file_of(case: ET.Element) -> str:
    """The test file of a junit testcase (``classname`` is its dotted module, then any class names)."""
    parts = case.get("classname", "").split(".")
    while parts and not parts[-1].startswith("test_"):
        parts.pop()
    return "/".join(parts) + ".py"


def run_airflow_free(row: Row) -> tuple[int, Path]:
    """The main row's airflow-free files, in a process where importing Airflow fails (``NO_AIRFLOW``)."""
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
    return code, report


def add_airflow_free(result: Result, code: int, report: Path, *, count: bool) -> None:
    """Within ``make test`` the suite ``make unit`` ran had the airflow-free files already (``count`` is
    false: their outcomes are in its report); ``make matrix`` alone ran the main row's suite without them,
    so they count here."""
    log = report.with_name("airflow-free.log")
    free = Result(result.row)
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


def run_deploy_tests(row: Row) -> int:
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
    return code


def add_deploy_tests(result: Result, code: int) -> None:
    report = result.row.junit.with_name("deploy-junit.xml")
    if report.is_file():
        read_junit(result, report)
    if code or not report.is_file():
        log = report.with_name("deploy.log")
        result.suite_rc = result.suite_rc or code or 1
        result.note += f"; deploy tests: exit code {code}, see {log.relative_to(ROOT)}"


def pins_of(lock: Path) -> str:
    found = dict(line.split("==", 1) for line in lock.read_text().splitlines() if "==" in line)
    return ", ".join(f"{name.removeprefix('apache-airflow-providers-')} {found[name]}" for name in DIRECT)


def report(results: list[Result], seconds: float) -> None:
    header = ["airflow", "resolution", "imports", "register", "tests", "passed", "failed", "skipped"]
    header += ["errors", "airflow-free tests", "main-row-only tests", "time", ""]
    table = [header]
    for r in results:
        counts = [str(r.outcomes[kind]) for kind in ("passed", "failed", "skipped", "errors")]
        checks = ["ok" if r.checks.get(name) else "FAIL" for name in ("imports", "registration")]
        if r.row.main_venv:
            free = f"{r.free} ran" if r.checks.get("airflow-free") else "FAIL"
            main_only = f"{r.main_only} ran"
        else:
            free = main_only = "left out"
        verdict = "ok" if r.ok else "FAIL"
        ran = str(sum(r.outcomes.values()))
        cells = [r.row.version, r.row.resolution, *checks, ran, *counts, free, main_only]
        table.append([*cells, f"{r.seconds:.0f}s", verdict])
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
        f"process where Airflow cannot be imported; main-row-only tests ({len(MAIN_ROW_ONLY)} files, "
        f"MAIN_ROW_ONLY: scale, or the same on every Airflow): {where}; every other test ran on every row"
    )


#: A row's suite alone on the two cores gains nothing from more processes (each one imports Airflow and
#: parses the DAGs folder once more).
MOST_PER_ROW = 3


def share_workers(suites: list[Row], workers: int) -> dict[Row, int]:
    """Pytest processes per row: at least one each, shared evenly (the rows with deployment tests first),
    at most ``MOST_PER_ROW``."""
    share = dict.fromkeys(suites, 1)
    order = sorted(suites, key=lambda row: not row.deploy)
    extras = min(workers, MOST_PER_ROW * len(suites)) - len(suites)
    for extra in range(max(0, extras)):
        share[order[extra % len(order)]] += 1
    return share


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("lock", "run"))
    parser.add_argument("--rows", default="", help="comma-separated Airflow versions (default: all)")
    parser.add_argument(
        "--workers",
        type=int,
        default=6,
        help="pytest processes in all for the rows' suites, which run at once: shared evenly, the extra "
        "ones to the rows with deployment tests first (a row with one runs plain pytest, no xdist)",
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
    # the simulator, Airflow's subprocesses and timers), so two per row keep the two cores busy.
    with ThreadPoolExecutor(len(rows)) as pool:
        results = list(pool.map(lambda row: run_row(row, workers.get(row, 1), args.reuse_after), rows))
    report(results, time.monotonic() - started)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
