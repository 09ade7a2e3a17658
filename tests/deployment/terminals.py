"""Shells that take a documented recipe's blocks as a person types them into terminal windows.

Each :class:`Terminal` is one ``bash`` reading its commands from a pipe, in its own session, with its
output in a log file. :meth:`Terminal.run` types a block and waits, with a deadline, until the block has
ended; :meth:`Terminal.start` types a block whose last command keeps running (a server). The shell runs
with ``-e``: a failing command ends the terminal, and the wait reports its output. :meth:`Terminal.ctrl_c`
presses Ctrl-C (SIGINT to the terminal's process group); :meth:`Terminal.stop` also kills what is left.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil

from tests.deployment.airflow_processes import wait_until

#: Set in every terminal's environment (to its log file's path): it finds each process a terminal started,
#: even one that left the terminal's process group.
MARK = "TOPVIEW_RECIPE_TERMINALS"


class TerminalEnded(AssertionError):
    """The shell ended before the block did: a command failed (``bash -e``) or the shell was stopped."""


class Terminal:
    def __init__(self, name: str, cwd: Path, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self._blocks = 0
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                ["/bin/bash", "--noprofile", "--norc", "-e"],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env={**env, MARK: str(self.log)},
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def start(self, block: str) -> None:
        """Type ``block``, whose last command keeps running until :meth:`stop`."""
        self._type(block if block.endswith("\n") else block + "\n")

    def run(self, block: str, *, timeout: float) -> str:
        """Type ``block`` and wait until it has ended; returns what it printed."""
        self._blocks += 1
        marker = f"--- {self.name}: block {self._blocks} ended ---"
        start = len(self.output())
        self._type(f"{block.rstrip()}\necho '{marker}'\n")

        def ended() -> bool:
            if marker in self.output()[start:]:
                return True
            if self.proc.poll() is not None:
                raise TerminalEnded(f"{self.name}: the shell ended ({self.proc.returncode}):\n{self.tail()}")
            return False

        wait_until(ended, timeout=timeout, what=f"{self.name}: block {self._blocks} to end", every=0.2)
        return self.output()[start:].split(marker)[0]

    def tail(self, chars: int = 6000) -> str:
        return f"--- {self.name} ({self.log})\n{self.output()[-chars:]}"

    def ctrl_c(self) -> None:
        """Ctrl-C in the window: SIGINT to the terminal's process group. Nothing is typed afterwards."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()  # the shell ends once its command has
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)

    def stopped(self, *, timeout: float) -> bool:
        """Whether every process the terminal started (the shell too) has ended within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            self.proc.poll()  # reap the shell
            if not running(str(self.log)):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)

    def kill(self) -> list[str]:
        """SIGKILL whatever the terminal started that still runs; returns their command lines."""
        left = [" ".join(process.cmdline()) for process in running(str(self.log))]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        kill_leftovers(str(self.log))
        self.proc.wait(timeout=30)
        return left

    def kill_matching(self, pattern: str) -> list[str]:
        """``kill -9`` each process the terminal started whose command line ``pattern`` matches (as
        ``pgrep -f`` finds them), and no other; returns their command lines."""
        killed = []
        for process in running(str(self.log)):
            with contextlib.suppress(psutil.Error):
                command = " ".join(process.cmdline())
                if re.search(pattern, command):
                    process.kill()
                    killed.append(command)
        return killed

    def stop(self, *, timeout: float = 30) -> list[str]:
        """Ctrl-C, then SIGKILL for what still runs after ``timeout`` (returned: command lines)."""
        self.ctrl_c()
        self.stopped(timeout=timeout)
        return self.kill()


def running(mark: str) -> list[psutil.Process]:
    """Processes started by the terminals whose mark starts with ``mark`` (zombies do not count)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARK, "").startswith(mark) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def kill_leftovers(mark: str) -> None:
    """SIGKILL what :func:`running` finds."""
    for process in running(mark):
        with contextlib.suppress(psutil.Error):
            process.kill()
