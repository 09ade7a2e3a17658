"""TopviewAsyncHook: the read-only API calls a trigger makes, over aiohttp, in the triggerer's event loop.

Same connection reading, credentials rules, timeouts, retry engine and redaction as the sync hook
(:mod:`airflow_topview.client.protocol`, :mod:`airflow_topview.client.retries`); only the transport
differs. Everything is imported with the module: an import inside a coroutine would block the
triggerer's event loop.
"""

from __future__ import annotations

import asyncio
import ssl
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
from airflow.providers.common.compat.connection import get_async_connection
from airflow.providers.common.compat.sdk import AirflowNotFoundException

from airflow_topview.client import protocol
from airflow_topview.client.redaction import Redactor
from airflow_topview.client.request import task_from_answer
from airflow_topview.client.retries import CallAttempts
from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import TopviewConnectionError, TopviewError
from airflow_topview.hooks.base import TopviewHookBase
from airflow_topview.hooks.delivery import never_sent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow_topview.client.request import ImageToVideoTask
    from airflow_topview.client.task_types import TaskType


class TopviewAsyncHook(TopviewHookBase):
    """The async twin of :class:`~airflow_topview.hooks.topview.TopviewHook`, for triggers.

    The connection is read with the async API, and all hooks in one event loop (one triggerer) share a
    pooled HTTP session, so hundreds of waiting tasks do not open hundreds of connection pools. Takes the
    same keyword arguments as the sync hook (``hook_params`` mean the same in both places).
    """

    def __init__(self, topview_conn_id: str = TopviewHookBase.default_conn_name, **settings: Any) -> None:
        super().__init__(topview_conn_id, **settings)
        self._target: tuple[str, dict[str, str]] | None = None
        self._ssl: ssl.SSLContext | bool = True

    async def _base_url_and_headers(self) -> tuple[str, dict[str, str]]:
        if self._target is None:
            try:
                connection = await get_async_connection(self.topview_conn_id, hook=self)
            except AirflowNotFoundException:
                raise protocol.missing_connection(self.topview_conn_id) from None
            uid, api_key = protocol.credentials(connection.login, connection.password, self.topview_conn_id)
            self._redactor = Redactor(api_key, connection.password)
            self.options = protocol.request_options(connection.extra_dejson)
            # Reading CA or client-certificate files is file I/O: off the triggerer's event loop.
            self._ssl = await asyncio.to_thread(ssl_setting, self.options)
            self._target = (
                protocol.normalize_base_url(connection.host, connection.port),
                protocol.auth_headers(uid, api_key),
            )
        return self._target

    def session(self) -> AbstractAsyncContextManager[aiohttp.ClientSession]:
        """Hold the event loop's shared HTTP session (a trigger holds it for its whole run)."""
        return SHARED_SESSIONS.lease()

    async def call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None) -> Any:
        """Call an API endpoint; return the envelope's (redacted) ``result``, retrying transient failures."""
        base_url, headers = await self._base_url_and_headers()
        connect, total = protocol.split_timeout(self._attempt_timeout())
        proxy = self.options.proxies.get(base_url.split("://", 1)[0])
        attempts = CallAttempts(self.retry_policy, total, self.call_timeout, f"{method} {endpoint}")
        async with self.session() as session:
            while True:
                budget = attempts.begin()
                timeout = aiohttp.ClientTimeout(total=budget, sock_connect=min(connect, budget))
                try:
                    async with session.request(
                        method,
                        base_url + endpoint,
                        params=params,
                        headers=headers,
                        timeout=timeout,
                        proxy=proxy,
                        ssl=self._ssl,
                    ) as response:
                        text = protocol.decode_text(await response.read(), response.charset)
                        return protocol.read_envelope(
                            response.status,
                            response.headers,
                            text,
                            endpoint,
                            self._redactor,
                            refused_hint=protocol.auth_hint(self.topview_conn_id),
                        )
                except TopviewError as exc:
                    error = exc
                except (aiohttp.ClientError, TimeoutError) as exc:
                    detail = self._redactor.text(f"{type(exc).__name__}: {exc}")
                    error = TopviewConnectionError(
                        f"{method} {endpoint} failed: {detail}", sent=not never_sent(exc)
                    )
                delay = attempts.delay_after(error)
                self.log.warning(attempts.describe(error, delay))
                await asyncio.sleep(delay)

    async def get_task(
        self, task_type: TaskType, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos."""
        params = protocol.query_params(topview_task_id, cloudfront_url)
        return task_from_answer(await self.call("GET", task_type.query_path, params=params))

    async def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query an Image-to-Video task: :meth:`get_task` for that type."""
        return await self.get_task(IMAGE_TO_VIDEO, topview_task_id, cloudfront_url=cloudfront_url)


def ssl_setting(options: protocol.RequestOptions) -> ssl.SSLContext | bool:
    """aiohttp's ``ssl=`` for the connection's ``verify`` and ``cert`` extras (as requests reads them)."""
    if options.verify is False:
        return False
    if options.verify is True and not options.cert:
        return True
    context = ssl.create_default_context(cafile=options.verify if isinstance(options.verify, str) else None)
    if isinstance(options.cert, str):
        context.load_cert_chain(options.cert)
    elif options.cert:
        context.load_cert_chain(*options.cert)
    return context


class _SharedSessions:
    """One aiohttp session per event loop, shared by every lease holder and closed with the last one."""

    def __init__(self) -> None:
        self._sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, int]] = {}

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[aiohttp.ClientSession]:
        loop = asyncio.get_running_loop()
        session, holders = self._sessions.get(loop, (None, 0))
        if session is None or session.closed:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100, limit_per_host=50))
        self._sessions[loop] = (session, holders + 1)
        try:
            yield session
        finally:
            session, holders = self._sessions[loop]
            if holders <= 1:
                del self._sessions[loop]
                await session.close()
            else:
                self._sessions[loop] = (session, holders - 1)


SHARED_SESSIONS = _SharedSessions()
