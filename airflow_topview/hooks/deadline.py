"""A deadline for a whole HTTP exchange on the worker, the response headers included.

requests/urllib3 time out each socket read, not an exchange: a server dripping its status line and
headers a byte at a time, each byte inside the read timeout, holds a call for as long as it likes. A
session that mounts :class:`DeadlineAdapter` records each connection it uses in the calling thread;
:func:`exchange_deadline` arms a timer that shuts that connection's socket down when the deadline passes,
so the blocked read returns at once and the call fails with a connection error naming the deadline.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

if TYPE_CHECKING:
    from collections.abc import Iterator

    import requests

#: The connection each thread with an armed deadline is using (thread id -> connection, None before
#: the first): what its timer cuts. Threads without a deadline (an upload's PUT) are not recorded.
_in_use: dict[int, Any] = {}


def _record(connection: Any) -> None:
    thread = threading.get_ident()
    if thread in _in_use:
        _in_use[thread] = connection


class _Watched:
    """Records the connection in use by this thread (the one an armed timer may cut)."""

    def connect(self) -> None:
        _record(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> Any:
        _record(self)  # a pooled connection is reused without connect()
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections (direct or through a proxy) an exchange deadline can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def with_deadlines(session: requests.Session) -> requests.Session:
    """Mount :class:`DeadlineAdapter` for http and https on ``session``."""
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


#: How far past its deadline an exchange is cut: an answer already arriving may still complete (and a
#: complete answer to a paid submit is always used), a dripping one may not go on.
GRACE_FRACTION, GRACE_MAX = 0.25, 5.0


@contextmanager
def exchange_deadline(seconds: float) -> Iterator[threading.Event]:
    """Cut this thread's connection a little past ``seconds`` from now if the block has not ended.

    The event tells whether the cut happened. The grace is ``GRACE_FRACTION`` of the deadline, at most
    ``GRACE_MAX`` seconds.
    """
    owner = threading.get_ident()
    _in_use[owner] = None  # armed: this thread's connections are recorded until the block ends
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        sock = getattr(_in_use.get(owner), "sock", None)
        if sock is not None:
            with suppress(OSError):  # already closed: the exchange ended on its own
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds + min(seconds * GRACE_FRACTION, GRACE_MAX), cut)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        _in_use.pop(owner, None)
