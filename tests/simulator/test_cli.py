"""The standalone simulator, ``python -m airflow_topview.testing``, run as a real process: what it prints,
its options, and that Ctrl-C / SIGTERM always stop it and free the port, whichever thread a signal hits."""

from __future__ import annotations

import ctypes
import json
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
import requests

from airflow_topview.client.task_types import OMNI_REFERENCE, TEXT_TO_VIDEO
from airflow_topview.testing.__main__ import DEFAULT_PORT, _parser, wait_for_signal

from .conftest import SUBMIT

DEADLINE = 15.0  # seconds for the process to start, or to exit after a signal
UID, KEY = "demo-uid", "sk-demo-secret"
HEADERS = {"Topview-Uid": UID, "Authorization": f"Bearer {KEY}"}


class Standalone:
    """The command in a subprocess; reads its output line by line with a deadline, never blocking forever."""

    def __init__(self, *args: str) -> None:
        cmd = [sys.executable, "-m", "airflow_topview.testing", "--port", "0", "--uid", UID, "--api-key", KEY]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self._buffer = b""
        self.lines: list[str] = []

    def read_line(self, timeout: float = DEADLINE) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"no output line within {timeout} s; so far {self._buffer!r}")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError(f"process ended: {self._buffer!r} {self.stderr()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        self.lines.append(line.decode())
        return self.lines[-1]

    def rest(self) -> str:
        """Everything printed after the lines read (the process must have ended)."""
        assert self.proc.stdout is not None
        return (self._buffer + self.proc.stdout.read()).decode()

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode() if self.proc.poll() is not None else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _start(*args: str) -> tuple[Standalone, str, dict[str, Any]]:
    """Start the command; returns it, its base URL and the connection from its export line."""
    cli = Standalone(*args)
    base_url = cli.read_line()
    export = cli.read_line()
    words = shlex.split(export)
    assert words[0] == "export"
    name, _, value = words[1].partition("=")
    assert name == "AIRFLOW_CONN_TOPVIEW_DEFAULT"
    return cli, base_url, json.loads(value)


def _port_is_free(port: int) -> bool:
    """Bind it as a server would (SO_REUSEADDR, so closed connections in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


def _signal_server_thread(pid: int, signum: int) -> None:
    """Send ``signum`` to the process's one thread besides the main one (the server's), not the process."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "tgkill"):
        pytest.skip("needs Linux tgkill")
    others = [int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid]
    assert len(others) == 1, others
    assert libc.tgkill(pid, others[0], signum) == 0, ctypes.get_errno()


@pytest.mark.parametrize("target", ["process", "server-thread"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serves_until_a_signal_then_exits_and_frees_the_port(signum: int, target: str) -> None:
    cli, base_url, conn = _start()
    try:
        assert base_url.startswith("http://127.0.0.1:")
        port = int(base_url.rsplit(":", 1)[1])
        assert conn == {"conn_type": "topview", "login": UID, "password": KEY, "host": base_url}
        credit = requests.get(f"{base_url}/user/credit/detail", headers=HEADERS, timeout=5).json()
        assert (credit["code"], credit["result"]["remainCredit"]) == ("200", 10000.0)
        bad = requests.get(f"{base_url}/user/credit/detail", headers={"Topview-Uid": UID}, timeout=5)
        assert bad.json()["code"] == "401"
        assert not _port_is_free(port)
        if target == "process":
            cli.proc.send_signal(signum)
        else:
            _signal_server_thread(cli.proc.pid, signum)
        assert cli.proc.wait(timeout=DEADLINE) == 0, cli.stderr()
        assert _port_is_free(port)
        out, err = cli.rest(), cli.stderr()
    finally:
        cli.kill()
    assert "/user/credit/detail -> 200" in out
    assert f"{signal.Signals(signum).name}: stopped" in out
    # The key is printed once, in the export line for Airflow; request lines never show it.
    assert KEY not in out + err
    assert [line for line in cli.lines if KEY in line] == [cli.lines[1]]


def test_models_are_strict_unless_added_or_accept_any_model() -> None:
    def submit(base_url: str, model: str) -> str:
        body = {"model": model, "firstFrameFileId": "no-such-file"}
        answer = requests.post(f"{base_url}{SUBMIT}", json=body, headers=HEADERS, timeout=5).json()
        return str(answer["code"])  # 4004 (unknown file) means the model was taken

    runs = {
        "strict": (),
        "added": ("--model", "Brand New 9", "--model", "Other"),
        "any": ("--accept-any-model",),
    }
    codes: dict[str, list[str]] = {}
    for name, args in runs.items():
        cli, base_url, _ = _start(*args)
        try:
            codes[name] = [submit(base_url, model) for model in ("Kling V3", "Brand New 9", "brand new 9")]
        finally:
            cli.kill()
    assert codes == {
        "strict": ["4004", "4000", "4000"],
        "added": ["4004", "4004", "4000"],
        "any": ["4004", "4004", "4004"],
    }


def test_a_busy_port_is_reported_with_a_hint() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cmd = [sys.executable, "-m", "airflow_topview.testing", "--port", str(port)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert run.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr
    assert "--port 0" in run.stderr


def test_default_port_is_clear_of_airflow() -> None:
    args = _parser().parse_args([])
    assert args.port == DEFAULT_PORT == 8765
    assert args.port not in (8080, 8793, 8794, 5555)  # api-server, log servers, flower


def test_help_describes_every_option() -> None:
    parser = _parser()
    undocumented = [action.dest for action in parser._actions if not action.help]
    assert undocumented == []
    run = subprocess.run(
        [sys.executable, "-m", "airflow_topview.testing", "--help"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=True,
    )
    for action in parser._actions:
        for option in action.option_strings:
            assert option in run.stdout
    assert "default: 8765" in " ".join(run.stdout.split())
    assert "--accept-any-model" in run.stdout


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_wait_for_signal_wakes_when_another_thread_takes_the_signal() -> None:
    """The main thread wakes although the signal is delivered to, and handled on, another thread."""
    before = signal.getsignal(signal.SIGUSR1)

    def hit_a_helper_thread() -> None:
        helper = threading.Thread(target=lambda: signal.pthread_kill(threading.get_ident(), signal.SIGUSR1))
        helper.start()
        helper.join()

    assert wait_for_signal([signal.SIGUSR1], ready=hit_a_helper_thread) == signal.SIGUSR1
    assert signal.getsignal(signal.SIGUSR1) == before


def test_model_for_adds_a_model_to_one_task_type() -> None:
    def submit(base_url: str, path: str, model: str) -> str:
        inputs = [{"fileId": "no-such-file", "name": "A"}]
        body = {"model": model, "prompt": "a kite", "inputImages": inputs, "firstFrameFileId": "no-such-file"}
        answer = requests.post(f"{base_url}{path}", json=body, headers=HEADERS, timeout=5).json()
        return str(answer["code"])  # t2v: 200 when taken; the others: 4004 (unknown file) when taken

    cli, base_url, _ = _start(
        "--model-for", "text2video", "Brand New 9", "--model-for", "omni_reference", "X 1"
    )
    try:
        banner = cli.read_line()
        codes = [
            submit(base_url, TEXT_TO_VIDEO.submit_path, "Brand New 9"),
            submit(base_url, TEXT_TO_VIDEO.submit_path, "X 1"),
            submit(base_url, OMNI_REFERENCE.submit_path, "X 1"),
            submit(base_url, OMNI_REFERENCE.submit_path, "Brand New 9"),
            submit(base_url, SUBMIT, "Brand New 9"),
        ]
    finally:
        cli.kill()
    assert codes == ["200", "4000", "4004", "4000", "4000"]
    assert re.search(r"taking model names \(\d+ image2video, \d+ text2video, \d+ omni_reference\)", banner)


def test_model_for_refuses_an_unknown_task_type() -> None:
    cmd = [sys.executable, "-m", "airflow_topview.testing", "--model-for", "video", "X"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert run.returncode == 2
    assert "--model-for: task type must be one of image2video, text2video, omni_reference" in run.stderr
