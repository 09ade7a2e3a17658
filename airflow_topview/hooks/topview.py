"""TopviewHook: the ``topview`` connection and every TopView API call; TopviewAsyncHook for triggers."""

from __future__ import annotations

import asyncio
import itertools
import time
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
import requests
from airflow.providers.http.hooks.http import HttpHook, _process_extra_options_from_connection
from airflow.sdk import BaseHook

from airflow_topview import api
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewError
from airflow_topview.models import CreditDetail, ImageToVideoRequest, ImageToVideoTask, SubmitResult

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow.sdk import Connection

# requests' (connect, read) timeouts: connecting is quick or broken; TopView answers within seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)


class TopviewHook(HttpHook):
    """Talk to TopView's API with the credentials of a ``topview`` connection.

    Connection fields: ``login`` = Topview UID, ``password`` = API key, ``host`` = API base URL (empty means
    ``https://api.topview.ai``; a host without a scheme gets https). Connection extras are not sent as
    headers; only the request options ``timeout``, ``proxies``, ``verify`` and ``cert`` are read from them.

    Transient failures (HTTP 429/5xx, connection errors, timeouts, envelope codes 4007/5000/5001/5003/
    5004/5005) are retried inside each call with exponential backoff and jitter, honouring ``Retry-After``;
    permanent ones raise :class:`~airflow_topview.exceptions.TopviewAPIError` at once.

    :param topview_conn_id: the ``topview`` connection to use.
    :param retry_limit: attempts per call, the first included (1 = no retry).
    :param retry_delay: base of the exponential backoff, in seconds.
    :param retry_max_delay: longest single wait between attempts, in seconds.
    :param timeout: per-request timeout in seconds: one number, or (connect, read).
    """

    conn_name_attr = "topview_conn_id"
    default_conn_name = "topview_default"
    conn_type = "topview"
    hook_name = "TopView"
    default_host = api.DEFAULT_BASE_URL

    def __init__(
        self,
        topview_conn_id: str = default_conn_name,
        *,
        retry_limit: int = 5,
        retry_delay: float = 1.0,
        retry_max_delay: float = 30.0,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(method="GET", http_conn_id=topview_conn_id)
        self.topview_conn_id = topview_conn_id
        self.retry_policy = api.RetryPolicy(retry_limit, retry_delay, retry_max_delay)
        self.timeout = timeout
        self._session: requests.Session | None = None

    # --- connection handling (HttpHook overrides) ---------------------------------------------

    def _set_base_url(self, connection: Any) -> None:
        self.base_url = api.normalize_base_url(connection.host, connection.port)
        self._base_url_initialized = True

    def _configure_session_from_auth(self, session: requests.Session, connection: Any) -> requests.Session:
        """TopView authenticates with two headers (UID and bearer key), not basic auth."""
        session.headers.update(api.auth_headers(*self._credentials(connection)))
        return session

    def _configure_session_from_extra(
        self, session: requests.Session, connection: Any, extra_options: dict[str, Any]
    ) -> requests.Session:
        """Take request options from extras, and drop the rest instead of sending them as headers."""
        unknown, self.merged_extra = _process_extra_options_from_connection(connection, extra_options)
        if unknown:
            self.log.warning(
                "Ignoring unknown extras of connection %s: %s", self.topview_conn_id, sorted(unknown)
            )
        session.proxies = self.merged_extra.get("proxies", self.merged_extra.get("proxy", {}))
        session.verify = self.merged_extra.get("verify", self.merged_extra.get("verify_ssl", True))
        session.cert = self.merged_extra.get("cert")
        return session

    def get_conn(
        self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """A requests session carrying the auth headers, built once and reused for every call."""
        if self._session is not None and not headers and not extra_options:
            return self._session
        session = super().get_conn(headers=headers, extra_options=extra_options)
        if not headers and not extra_options:
            self._session = session
        return session

    def _credentials(self, connection: Connection) -> tuple[str, str]:
        uid, api_key = connection.login, connection.password
        if not uid or not api_key:
            missing = " and ".join(
                name
                for name, value in (("login (Topview UID)", uid), ("password (API key)", api_key))
                if not value
            )
            raise TopviewError(f"Connection {self.topview_conn_id!r} has no {missing}.")
        from airflow.sdk.log import mask_secret

        mask_secret(api_key)
        return uid, api_key

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- transport ------------------------------------------------------------------------------

    def _request_timeout(self) -> float | tuple[float, float]:
        configured = self.merged_extra.get("timeout")
        return float(configured) if configured is not None else self.timeout

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        retry_unanswered: bool = True,
    ) -> Any:
        """Call an API endpoint and return the envelope's ``result``, retrying transient failures.

        ``retry_unanswered=False`` is for calls that must not run twice (paid submits): when a request was
        sent but no answer came back, raise :class:`TopviewSubmitUncertainError` instead of repeating it.
        """
        session = self.get_conn()
        url = self.url_from_endpoint(endpoint)
        for attempt in itertools.count(1):
            error: TopviewError
            try:
                response = session.request(
                    method, url, params=params, json=json, timeout=self._request_timeout()
                )
                return api.read_envelope(response.status_code, response.headers, response.text, endpoint)
            except TopviewError as exc:
                error = exc
            except requests.RequestException as exc:
                if not retry_unanswered and not _never_sent(exc):
                    raise api.uncertain_submit(method, endpoint, exc) from None
                error = TopviewConnectionError(f"{method} {endpoint} failed: {type(exc).__name__}: {exc}")
            delay = self.retry_policy.delay_before_retry(attempt, error)
            if delay is None:
                raise error
            self.log.warning(api.describe_retry(method, endpoint, error, attempt, self.retry_policy, delay))
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- API calls ------------------------------------------------------------------------------

    def submit_image_to_video(self, request: ImageToVideoRequest) -> SubmitResult:
        """Submit an Image-to-Video V2 task (this spends credits). Returns the new task id."""
        result = self.call("POST", api.SUBMIT_IMAGE_TO_VIDEO, json=request.to_body(), retry_unanswered=False)
        return SubmitResult.model_validate(result)

    def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos (signed URLs that expire)."""
        params = {"taskId": topview_task_id, "needCloudFrontUrl": str(cloudfront_url).lower()}
        return ImageToVideoTask.model_validate(self.call("GET", api.QUERY_IMAGE_TO_VIDEO, params=params))

    def get_credit(self) -> CreditDetail:
        """The account's remaining credits."""
        return CreditDetail.model_validate(self.call("GET", api.CREDIT_DETAIL))

    def test_connection(self) -> tuple[bool, str]:
        """Read the credit balance: cheap, read-only, and proves the UID and key are accepted."""
        hook = TopviewHook(self.topview_conn_id, retry_limit=1, timeout=self.timeout)
        try:
            credit = hook.get_credit()
        except TopviewAPIError as exc:
            hint = " Check the Topview UID (login) and API key (password)." if exc.code == "401" else ""
            return False, f"{exc}.{hint}"
        except TopviewError as exc:
            return False, str(exc)
        finally:
            hook.close()
        return True, f"Connected to TopView; remaining credits: {credit.remain_credit}"


class TopviewAsyncHook(BaseHook):
    """The async twin of :class:`TopviewHook`, for triggers: read-only calls over aiohttp.

    The connection is read with the async API, and all hooks in one event loop (one triggerer) share a
    pooled HTTP session, so hundreds of waiting tasks do not open hundreds of connection pools.
    """

    conn_name_attr = "topview_conn_id"
    default_conn_name = "topview_default"
    conn_type = "topview"
    hook_name = "TopView"

    def __init__(
        self,
        topview_conn_id: str = default_conn_name,
        *,
        retry_limit: int = 5,
        retry_delay: float = 1.0,
        retry_max_delay: float = 30.0,
        timeout: float = 60.0,
    ) -> None:
        super().__init__()
        self.topview_conn_id = topview_conn_id
        self.retry_policy = api.RetryPolicy(retry_limit, retry_delay, retry_max_delay)
        self.timeout = timeout
        self._target: tuple[str, dict[str, str]] | None = None

    async def _base_url_and_headers(self) -> tuple[str, dict[str, str]]:
        if self._target is None:
            from airflow.providers.common.compat.connection import get_async_connection

            connection = await get_async_connection(self.topview_conn_id, hook=self)
            uid, api_key = _credentials(connection, self.topview_conn_id)
            self._target = (
                api.normalize_base_url(connection.host, connection.port),
                api.auth_headers(uid, api_key),
            )
        return self._target

    def session(self) -> AbstractAsyncContextManager[aiohttp.ClientSession]:
        """Hold the event loop's shared HTTP session (a trigger holds it for its whole run)."""
        return SHARED_SESSIONS.lease()

    async def call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None) -> Any:
        """Call an API endpoint and return the envelope's ``result``, retrying transient failures."""
        base_url, headers = await self._base_url_and_headers()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self.session() as session:
            for attempt in itertools.count(1):
                error: TopviewError
                try:
                    async with session.request(
                        method, base_url + endpoint, params=params, headers=headers, timeout=timeout
                    ) as response:
                        text = await response.text()
                        return api.read_envelope(response.status, response.headers, text, endpoint)
                except TopviewError as exc:
                    error = exc
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = TopviewConnectionError(f"{method} {endpoint} failed: {type(exc).__name__}: {exc}")
                delay = self.retry_policy.delay_before_retry(attempt, error)
                if delay is None:
                    raise error
                self.log.warning(
                    api.describe_retry(method, endpoint, error, attempt, self.retry_policy, delay)
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos."""
        params = {"taskId": topview_task_id, "needCloudFrontUrl": str(cloudfront_url).lower()}
        return ImageToVideoTask.model_validate(
            await self.call("GET", api.QUERY_IMAGE_TO_VIDEO, params=params)
        )


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


def _credentials(connection: Connection, conn_id: str) -> tuple[str, str]:
    """(Topview UID, API key) from a connection, or an error naming what is missing (never the value)."""
    uid, api_key = connection.login, connection.password
    if not uid or not api_key:
        missing = " and ".join(
            name
            for name, value in (("login (Topview UID)", uid), ("password (API key)", api_key))
            if not value
        )
        raise TopviewError(f"Connection {conn_id!r} has no {missing}.")
    return uid, api_key


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed before any byte reached the server, so repeating it cannot duplicate it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        text = f"{reason or exc}"
        return "NewConnectionError" in text or "Connection refused" in text or "Failed to resolve" in text
    return False
