"""Shared plumbing: child processes, their environment, result lines, server processes, statistics."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULT_PREFIX = "BENCH-RESULT "
UID, API_KEY = "bench-uid", "sk-bench-key"
MIB = 1024 * 1024

_work: Path | None = None


def work_dir() -> Path:
    """A temporary folder for this run (Airflow homes, DAG files, big files); removed at exit."""
    global _work
    if _work is None:
        _work = Path(tempfile.mkdtemp(prefix="topview-bench-"))
        atexit.register(shutil.rmtree, _work, ignore_errors=True)
    return _work


def pycache_dir() -> Path:
    """Where children keep compiled bytecode (kept between runs; see README, "bytecode")."""
    return Path(tempfile.gettempdir()) / "airflow-topview-bench-pycache"


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every measured child: bytecode cached like on a deployed machine, a throwaway
    AIRFLOW_HOME, no example DAGs, this checkout importable."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache_dir())
    home = work_dir() / "airflow-home"
    home.mkdir(exist_ok=True)
    env["AIRFLOW_HOME"] = str(home)
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def topview_conn(base_url: str) -> str:
    """``AIRFLOW_CONN_TOPVIEW_DEFAULT`` for the simulator at ``base_url``."""
    return json.dumps({"conn_type": "topview", "login": UID, "password": API_KEY, "host": base_url})


def auth_headers() -> dict[str, str]:
    return {"Topview-Uid": UID, "Authorization": f"Bearer {API_KEY}"}


# --- children ---------------------------------------------------------------------------------------


def emit(result: Mapping[str, Any]) -> None:
    """Print a child's result line (the parent reads the last one)."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def rusage_self() -> tuple[float, float]:
    """(CPU seconds user+sys, peak RSS MiB) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident set size right now (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MIB


def run_child(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 300.0
) -> dict[str, Any]:
    """Run ``python <args>`` in a fresh process and return its result line as a dict.

    The child is started by a small ``/bin/sh`` that forks it, not by this process directly: Linux keeps a
    process's ``ru_maxrss`` across ``execve``, so a child exec'd straight from this (larger) process would
    report this process's peak RSS as its own. Forked from ``sh``, it starts from sh's ~2 MiB.
    """
    command = [*_SHELL_FORK, PYTHON, *args]
    process = subprocess.Popen(
        command,
        env=dict(env) if env is not None else child_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)  # the group of our own child (sh and the python under it)
        process.communicate()
        raise BenchError(f"{' '.join(args[:4])} ... did not finish within {timeout:g} s") from exc
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if process.returncode != 0 or not lines:
        tail = "\n".join((stderr or stdout).strip().splitlines()[-15:])
        raise BenchError(f"{' '.join(args[:4])} ... failed (exit {process.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
    return result


# ``sh -c '"$@"; exit $?' sh CMD...`` runs CMD as a forked child of sh (the trailing ``exit`` keeps sh from
# exec'ing it in place), so CMD's ru_maxrss starts from sh's small footprint (see run_child).
_SHELL_FORK = ("/bin/sh", "-c", '"$@"; exit $?', "sh")


class BenchError(RuntimeError):
    """A benchmark could not produce its figures."""


# --- servers ----------------------------------------------------------------------------------------


class ServerProcess:
    """A server from :mod:`benchmarks.servers` in its own process: base URL, stats, stop.

    The server prints its base URL first, answers commands on stdin (``stats``) with a JSON line, exits
    when stdin closes, and stops by itself after ``--max-seconds`` whatever happens here.
    """

    #: The module run with ``python -m``; a subclass runs another server with the same protocol.
    module = "benchmarks.servers"

    def __init__(self, *args: str, max_seconds: float = 900.0) -> None:
        self.log_path = work_dir() / f"{self.module.rpartition('.')[2]}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", self.module, *args, "--max-seconds", str(max_seconds)],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.base_url = self._read_line(timeout=60.0)

    def _read_line(self, timeout: float) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise BenchError(f"server {self.process.args!r} gave no answer; log: {self._tail()}")
        return line.strip()

    def _tail(self) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-10:])

    def command(self, text: str, timeout: float = 120.0) -> dict[str, Any]:
        """Send one command line; its answer is one JSON line."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(text + "\n")
        stdin.flush()
        answer: dict[str, Any] = json.loads(self._read_line(timeout))
        return answer

    def stats(self) -> dict[str, Any]:
        return self.command("stats")

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    self.process.stdin.close()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.terminate()  # our own child, by its handle
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --- statistics and reporting ----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def say(text: str, stream: IO[str] | None = None) -> None:
    """Progress and result lines, flushed at once (make may buffer otherwise)."""
    print(text, file=stream or sys.stdout, flush=True)


# --- simulator clients (the parent's setup work, outside any measured window) -----------------------

# The smallest valid PNG (1x1, grey): what the simulator gets as a first frame.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
)


def upload_tiny_png(base_url: str) -> str:
    """A file id the simulator accepts as a frame: credential, presigned PUT, check."""
    import requests

    with requests.Session() as session:
        credential = session.get(
            f"{base_url}/v1/upload/credential", params={"format": "png"}, headers=auth_headers(), timeout=30
        ).json()["result"]
        session.put(credential["uploadUrl"], data=TINY_PNG, timeout=30).raise_for_status()
        checked = session.get(
            f"{base_url}/v1/upload/check",
            params={"fileId": credential["fileId"]},
            headers=auth_headers(),
            timeout=30,
        ).json()
    if checked.get("result") is not True:
        raise BenchError(f"the simulator did not confirm the upload: {checked}")
    return str(credential["fileId"])


def submit_tasks(base_url: str, count: int, *, threads: int = 8) -> list[str]:
    """Submit ``count`` Image-to-Video tasks to the simulator (a thread pool of requests sessions)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    file_id = upload_tiny_png(base_url)
    body = {"model": "seedance-1.5-pro", "firstFrameFileId": file_id, "prompt": "benchmark"}
    local = threading.local()

    def submit(_: int) -> str:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        answer = session.post(
            f"{base_url}/v2/common_task/image2video/task/submit",
            json=body,
            headers=auth_headers(),
            timeout=60,
        ).json()
        if answer.get("code") != "200":
            raise BenchError(f"submit refused: {answer}")
        return str(answer["result"]["taskId"])

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(submit, range(count)))
