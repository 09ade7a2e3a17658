"""Control of one task's file transfers: cancelling them (``on_kill``) and the stall rule.

A SIGTERM handler or another thread cancels through :class:`TransferCancel`, which takes no locks; the
storage client (:mod:`airflow_topview.hooks.storage`) checks it, and :class:`Progress`, between reads.
"""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import TYPE_CHECKING

from airflow_topview.exceptions import TopviewConnectionError, TransferCancelledError

if TYPE_CHECKING:
    from collections.abc import Iterator

# Bytes read from a file at a time for an upload; downloads read whatever has arrived, up to this much.
TRANSFER_CHUNK_SIZE = 1 << 20
# The stall rule's unit: a transfer must move this many bytes in every ``stall_timeout`` seconds. Upload
# bodies are sent in pieces of this size, each of which must leave within ``stall_timeout``.
MIN_PROGRESS = 64 * 1024


class TransferCancel:
    """Stops the file transfers of one task, from another thread or from a signal handler (``on_kill``).

    Transfers started inside :meth:`applies` check it between reads, upload pieces and retries;
    :meth:`cancel` also shuts down the sockets being read, so that a blocked read returns at once. It
    takes no locks, so a SIGTERM handler may call it.
    """

    def __init__(self) -> None:
        self.cancelled = False
        self._sockets: set[socket.socket] = set()

    def cancel(self) -> None:
        self.cancelled = True
        for sock in list(self._sockets):
            with suppress(OSError):  # TLS inside a TLS proxy: shut the tunnel's socket down
                getattr(sock, "socket", sock).shutdown(socket.SHUT_RDWR)

    def check(self, what: str) -> None:
        if self.cancelled:
            raise TransferCancelledError(f"{what} cancelled: the task is being stopped")

    def sleep(self, seconds: float, what: str) -> None:
        """Wait between attempts, in short slices so that a cancel is seen within 50 ms."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            self.check(what)
            time.sleep(min(left, 0.05))
        self.check(what)

    @contextmanager
    def reading(self, sock: socket.socket | None) -> Iterator[None]:
        """Shut ``sock`` down on cancel while the block runs, so that a read blocked on it returns."""
        if sock is not None:
            self._sockets.add(sock)
        try:
            yield
        finally:
            self._sockets.discard(sock)  # type: ignore[arg-type]

    @contextmanager
    def applies(self) -> Iterator[TransferCancel]:
        """Make this the cancel of every transfer started in this context (thread or task)."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


_ACTIVE: ContextVar[TransferCancel | None] = ContextVar("topview_transfer_cancel", default=None)


def current_cancel() -> TransferCancel:
    """The cancel set by :meth:`TransferCancel.applies`, or one that never fires."""
    return _ACTIVE.get() or TransferCancel()


class Progress:
    """The stall rule: each further MIN_PROGRESS bytes must arrive within ``limit`` seconds."""

    def __init__(self, limit: float, what: str) -> None:
        self.limit, self.what = limit, what
        self._since, self._bytes = time.monotonic(), 0

    def left(self) -> float:
        return self._since + self.limit - time.monotonic()

    def check(self, size: int = 0) -> None:
        """Raise if the window ran out; count ``size`` more bytes (a full MIN_PROGRESS opens a new one)."""
        if self.left() <= 0:
            kib, limit = MIN_PROGRESS // 1024, self.limit
            raise TopviewConnectionError(f"{self.what} stalled: fewer than {kib} KiB arrived in {limit:g} s")
        self._bytes += size
        if self._bytes >= MIN_PROGRESS:
            self._since, self._bytes = time.monotonic(), 0
