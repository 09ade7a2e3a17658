"""docs/local-run.md followed as written: install from the checkout, the simulator, ``airflow standalone``.

The page's ``bash`` blocks (each after its ``<!-- snippet: local-run-... -->`` marker) are typed into
shells, one per terminal the page names (:mod:`tests.deployment.terminals`), in a fresh folder holding
``topview-local/airflow-provider-topview``: a copy of this checkout as ``git`` has it (what ``.gitignore``
leaves out is left out). The shells start with nothing of this suite: ``PATH`` (the Python the suite
runs on, then the system's), a fresh ``HOME``, and the machine's network settings.

What only the test changes, all below: :data:`PORTS` (free ports, set with the page's "Ports" block),
:func:`installer` (``uv pip install`` with this repository's pinned versions, from uv's cache, for ``pip
install`` with Airflow's constraints URL), the API server listening on 127.0.0.1 only, and unbuffered
Python output (a failure shows every line). Where the page says "once the DAG shows" or "after a minute",
the test waits for that in Airflow's metadata database, with a deadline. It stops everything as the page's
"Stopping" section says and prints how long each step took.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from airflow_topview.client.connection import DEFAULT_BASE_URL, credentials, normalize_base_url
from tests.deployment.airflow_processes import free_port, wait_until
from tests.deployment.terminals import Terminal, kill_leftovers

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "local-run.md"
DAG_ID = "example_topview_image_to_video"
AIRFLOW_CONSTRAINTS = (
    "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.2/constraints-3.11.txt"
)
PINNED = ROOT / "requirements" / "constraints.txt"
UV = Path(sys.executable).with_name("uv")
#: How long after Ctrl-C the page says to wait for standalone's ``Complete`` before pressing it again (the
#: scheduler of Airflow 3.3 can wait forever for its idle workers when Ctrl-C's SIGINT and standalone's own
#: SIGTERM reach it one after the other).
SECOND_CTRL_C = 15
SIM_UID, SIM_KEY = "demo-uid", "sk-demo"  # the simulator's demo credentials, as the page prints them
#: Passed on to the shells: the machine's proxies and CA certificates, and pip's and uv's settings.
NETWORK = re.compile(
    r"(?i)(\w+_proxy|ssl_cert_file|ssl_cert_dir|requests_ca_bundle|curl_ca_bundle|(pip|uv)_\w+)"
)


def snippet(name: str, page: Path = PAGE) -> str:
    """The ``bash`` block after ``<!-- snippet: NAME -->`` on ``page``."""
    found = re.findall(rf"<!-- snippet: {re.escape(name)} -->\n```bash\n(.*?)```", page.read_text(), re.S)
    assert len(found) == 1, f"snippet {name!r} appears {len(found)} times in {page.name} (want once)"
    return str(found[0])


def replaced(block: str, replacements: dict[str, str]) -> str:
    """``block`` with each printed text replaced; each must be there (a changed page fails here)."""
    for printed, local in replacements.items():
        assert printed in block, f"{printed!r} is no longer in the block:\n{block}"
        block = block.replace(printed, local)
    return block


def installer() -> tuple[dict[str, str], dict[str, str]]:
    """``pip install`` as ``uv pip install`` with the pinned versions: (replacements, environment).

    pip also compiles bytecode as it installs; uv does not (unless told), and Python compiles each module on
    first import instead: the run is the same, the test about 25 s shorter.
    """
    cache = subprocess.run([str(UV), "cache", "dir"], capture_output=True, text=True, check=True)
    environment = {
        "UV_CACHE_DIR": cache.stdout.strip(),  # HOME is new: uv's cache where `make` filled it
        "UV_CONSTRAINT": str(PINNED),  # the provider's install too: the versions CI has cached
    }
    return {"pip install": f"{UV} pip install", AIRFLOW_CONSTRAINTS: str(PINNED)}, environment


#: The ports the page's blocks name, each replaced by a free one: the simulator's, then the ones its
#: "Ports" section chooses for Airflow (typed before ``airflow standalone``, as it says).
PORTS = ("8765", "8081", "8795", "8796")


def copy_checkout(target: Path) -> None:
    """This checkout as a clone of it holds it (with uncommitted changes): no .git, nothing ignored."""
    ignored = [
        line.strip().rstrip("/")
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    shutil.copytree(ROOT, target, symlinks=True, ignore=shutil.ignore_patterns(".git", *ignored))


def shell_environment(home: Path, extra: dict[str, str]) -> dict[str, str]:
    python = Path(sys.executable).resolve().parent  # the Python this suite runs on, not its virtualenv
    path = f"{python}:/usr/local/bin:/usr/bin:/bin"
    assert shutil.which("python3.11", path=path), f"no python3.11 on {path}"
    network = {name: value for name, value in os.environ.items() if NETWORK.fullmatch(name)}
    return {**network, "PATH": path, "HOME": str(home), "PYTHONUNBUFFERED": "1", **extra}


def query(database: Path, sql: str, *args: str) -> list[tuple[str, ...]]:
    """Rows from Airflow's sqlite metadata database; none while standalone is still creating it."""
    if not database.exists():
        return []
    db = sqlite3.connect(database, timeout=5)
    try:
        return list(db.execute(sql, args).fetchall())
    except sqlite3.OperationalError:  # tables not created yet, or a writer holding the lock
        return []
    finally:
        db.close()


class Stopwatch:
    """How long each step took, printed at the end (the test's wall time is watched)."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.laps: list[tuple[str, float]] = []

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.laps.append((step, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in self.laps)


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[dict[str, Terminal]]:
    """The terminals a test opens (name -> terminal): all stopped afterwards, pass or fail."""
    opened: dict[str, Terminal] = {}
    yield opened
    for terminal in reversed(opened.values()):
        terminal.stop()
    kill_leftovers(str(tmp_path / "logs"))


@pytest.mark.deploy
def test_the_local_run_page_runs_as_written(tmp_path: Path, terminals: dict[str, Terminal]) -> None:
    clock = Stopwatch()
    folder, logs = tmp_path / "topview-local", tmp_path / "logs"
    logs.mkdir()
    copy_checkout(folder / "airflow-provider-topview")
    ports = {printed: str(free_port()) for printed in PORTS}
    sim_port, api_port = {"8765": ports["8765"]}, ports["8081"]
    install_replacements, install_env = installer()
    # Not on the machine's network: the API server listens on 127.0.0.1 only (standalone: all interfaces).
    env = shell_environment(tmp_path / "home", {**install_env, "AIRFLOW__API__HOST": "127.0.0.1"})
    (tmp_path / "home").mkdir()

    def terminal(name: str) -> Terminal:
        terminals[name] = Terminal(name, tmp_path, env, logs)
        return terminals[name]

    terminal("install").run(replaced(snippet("local-run-install"), install_replacements), timeout=600)
    clock.lap("install")
    [wheel] = (folder / "dist").glob("airflow_provider_topview-*-py3-none-any.whl")
    installed = folder / "venv" / "lib" / "python3.11" / "site-packages" / "airflow_topview"
    assert (installed / "data" / "samples" / "lighthouse_day.png").is_file()  # the wheel's package data

    simulator = terminal("simulator")
    simulator.start(replaced(snippet("local-run-simulator"), sim_port))
    printed = wait_until(
        lambda: re.search(r"^(export AIRFLOW_CONN_TOPVIEW_DEFAULT=.*)$", simulator.output(), re.M),
        timeout=60,
        what="the simulator's connection line",
    ).group(1)
    airflow_block = replaced(snippet("local-run-airflow"), sim_port)
    assert printed in airflow_block.splitlines()  # the page's connection line is the one it prints
    airflow = terminal("airflow")
    airflow.start(replaced(snippet("local-run-ports"), {port: ports[port] for port in PORTS[1:]}))
    airflow.start(airflow_block)
    database = folder / "airflow" / "airflow.db"
    wait_until(
        lambda: terminal_alive(airflow) and query(database, "SELECT 1 FROM dag WHERE dag_id = ?", DAG_ID),
        timeout=300,
        what="standalone to parse the copied example",
    )

    clock.lap("standalone up, DAG parsed")
    shell = terminal("trigger")
    shell.run(snippet("local-run-trigger"), timeout=120)

    def run_state() -> str | None:
        rows = query(database, "SELECT state FROM dag_run WHERE dag_id = ?", DAG_ID)
        terminal_alive(airflow)
        return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

    clock.lap("trigger")
    assert wait_until(run_state, timeout=300, what="the run to end") == "success", airflow.tail()
    clock.lap("run")
    listed = shell.run(snippet("local-run-check"), timeout=120)
    rest = shell.run(
        replaced(snippet("local-run-rest"), {"localhost:8080": f"localhost:{api_port}"}), timeout=60
    )
    clock.lap("check and REST")

    wire = simulator.output()  # what the run sent; the test's own questions below come after
    sim_url = f"http://127.0.0.1:{ports['8765']}"
    [video] = (folder / "videos").iterdir()
    topview_task_id = video.name.removesuffix("_0.mp4")
    headers = {"Topview-Uid": SIM_UID, "Authorization": f"Bearer {SIM_KEY}"}
    task = requests.get(
        f"{sim_url}/v2/common_task/image2video/task/query",
        params={"taskId": topview_task_id},
        headers=headers,
        timeout=10,
    ).json()["result"]
    credit = requests.get(f"{sim_url}/user/credit/detail", headers=headers, timeout=10).json()["result"]
    simulator.ctrl_c()
    assert simulator.stopped(timeout=30), simulator.kill()
    stopped_by = stop_standalone(airflow)
    clock.lap(f"stop ({stopped_by})")

    # What the run did: one upload, one paid submit, the triggerer's queries, one download.
    seen_by_simulator = re.findall(r"^\S+ \S+ (GET|POST|PUT) (\S+) -> (\d+)", wire, re.M)
    assert all(status == "200" for _, _, status in seen_by_simulator), seen_by_simulator
    paths = [path.split("?")[0] for _, path, _ in seen_by_simulator]
    assert paths[:2] == ["/v1/upload/credential", paths[1]]
    assert paths[1].startswith("/_upload/")
    assert paths[2:4] == ["/v1/upload/check", "/v2/common_task/image2video/task/submit"], paths
    assert set(paths[4:-1]) == {"/v2/common_task/image2video/task/query"}, paths  # the sensor's polls
    assert all(f"taskId={topview_task_id}&" in path for _, path, _ in seen_by_simulator[4:-1])
    assert paths[-1] == f"/_videos/{topview_task_id}/0.mp4"
    assert task["status"] == "success"
    assert task["costCredit"] > 0
    assert credit["remainCredit"] == 10000 - task["costCredit"]  # charged once
    assert video.read_bytes()[4:8] == b"ftyp"

    assert "success" in listed, listed
    assert video.name in listed
    [dag_run] = json.loads(rest)["dag_runs"]
    assert (dag_run["dag_id"], dag_run["state"]) == (DAG_ID, "success")
    assert dag_run["conf"] == {"output_dir": str(folder / "videos")}
    assert wheel.name.startswith("airflow_provider_topview-")
    seen = airflow.output() + "".join(
        path.read_text(errors="replace")
        for path in (folder / "airflow" / "logs").rglob("*")
        if path.is_file()
    )
    assert SIM_KEY not in seen  # the key reached no Airflow output and no task log
    print(f"docs/local-run.md followed: {clock}")


def stop_standalone(airflow: Terminal) -> str:
    """Stop standalone as the page says; returns what it took."""
    airflow.ctrl_c()
    if airflow.stopped(timeout=SECOND_CTRL_C):
        return "Ctrl-C"
    assert "standalone | Shutting down components" in airflow.output()
    airflow.ctrl_c()
    if airflow.stopped(timeout=SECOND_CTRL_C):
        return "Ctrl-C twice"
    # The page's last step: kill -9 what its `pgrep -af PATTERN` lists (here only what this test started).
    [pattern] = re.findall(r'^pgrep -af "([^"]+)"', snippet("local-run-stop"), re.M)
    killed = airflow.kill_matching(pattern)
    assert killed, airflow.kill()
    assert airflow.stopped(timeout=30), f"still running after kill -9 of {killed}: {airflow.kill()}"
    return f"Ctrl-C twice, then kill -9 of {[command.rsplit('/', 1)[-1] for command in killed]}"


def terminal_alive(terminal: Terminal) -> bool:
    if terminal.proc.poll() is not None:
        raise AssertionError(f"{terminal.name} ended:\n{terminal.tail()}")
    return True


def test_readme_install_commands_are_the_pages() -> None:
    """README.md's install block is the tested recipe's, line for line."""
    recipe = snippet("local-run-install").splitlines()
    readme = [line.split("  #")[0].rstrip() for line in snippet("install", ROOT / "README.md").splitlines()]
    assert readme
    assert all(line in recipe for line in readme if line), readme


def test_the_real_connection_line_is_one_the_provider_reads() -> None:
    """Step 6's connection, with a UID and key in place of the placeholders, is a valid topview one."""
    block = snippet("local-run-real")
    [line] = [line for line in block.splitlines() if line.startswith("export AIRFLOW_CONN_TOPVIEW_DEFAULT=")]
    value = line.split("=", 1)[1].strip("'")
    connection = json.loads(replaced(value, {"<Topview UID>": "u-1234", "<API key>": "sk-live-key"}))
    assert connection["conn_type"] == "topview"
    assert normalize_base_url(connection.get("host")) == DEFAULT_BASE_URL
    assert credentials(connection["login"], connection["password"], "topview_default") == (
        "u-1234",
        "sk-live-key",
    )
    assert block.rstrip().endswith("airflow standalone")
