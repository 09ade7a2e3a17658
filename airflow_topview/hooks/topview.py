"""TopviewHook: the ``topview`` connection and every TopView API call (the async twin: ``topview_async``).

Its file methods (uploads, downloads) come from :mod:`airflow_topview.hooks.files`.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from pydantic import ValidationError

from airflow_topview.client import protocol
from airflow_topview.client.redaction import Redactor
from airflow_topview.client.request import (
    CreditDetail,
    ImageToVideoRequest,
    ImageToVideoTask,
    SubmitResult,
    task_from_answer,
)
from airflow_topview.client.retries import CallAttempts, uncertain_submit
from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewError
from airflow_topview.hooks.base import TopviewHookBase
from airflow_topview.hooks.deadline import exchange_deadline, with_deadlines
from airflow_topview.hooks.delivery import never_sent
from airflow_topview.hooks.files import FileTransfers
from airflow_topview.hooks.storage import StorageClient

if TYPE_CHECKING:
    from airflow_topview.client.task_types import SubmitsBody, TaskType

# Bytes read at a time from an API answer (small JSON): the deadline is checked between reads.
_ANSWER_READ_SIZE = 64 * 1024


class TopviewHook(FileTransfers, TopviewHookBase):
    """Talk to TopView's API with the credentials of a ``topview`` connection.

    Connection fields: ``login`` = Topview UID, ``password`` = API key (both stripped of surrounding
    whitespace), ``host`` = API base URL (empty means ``https://api.topview.ai``; a host without a scheme
    gets https). Connection extras are not sent as headers; only the request options ``timeout``,
    ``proxies``, ``verify`` and ``cert`` are read from them.

    Transient failures (HTTP 429/5xx, connection errors, timeouts, envelope codes 4007/5000/5001/5003/
    5004/5005) are retried inside each call with exponential backoff and jitter, honouring ``Retry-After``,
    until the call's deadline; permanent ones raise :class:`~airflow_topview.exceptions.TopviewAPIError`
    at once. The paid submit is the exception: see :meth:`submit_image_to_video`. Text that came back from
    the server or from the HTTP library is redacted of the API key before it reaches any error or result.

    Takes the keyword arguments of :class:`~airflow_topview.hooks.base.TopviewHookBase`.
    """

    def __init__(self, topview_conn_id: str = TopviewHookBase.default_conn_name, **settings: Any) -> None:
        super().__init__(topview_conn_id, **settings)
        self.base_url = protocol.DEFAULT_BASE_URL
        self._session: requests.Session | None = None

    # --- connection handling ------------------------------------------------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form for Airflow < 3.2, which reads it from the registered hook class.

        Airflow 3.2+ reads the same fields from the provider info (``ui-field-behaviour``) and then
        skips this method; both come from :data:`airflow_topview.get_provider_info.UI_FIELD_BEHAVIOUR`.
        """
        from airflow_topview.get_provider_info import hook_field_behaviour

        return hook_field_behaviour()

    def get_conn(self) -> requests.Session:
        """A requests session with TopView's two auth headers and the connection's request options.

        Built once per hook and reused for every call (one connection pool).
        """
        if self._session is not None:
            return self._session
        from airflow.providers.common.compat.sdk import AirflowNotFoundException, mask_secret

        try:
            connection = self.get_connection(self.topview_conn_id)
        except AirflowNotFoundException:
            raise protocol.missing_connection(self.topview_conn_id) from None
        uid, api_key = protocol.credentials(connection.login, connection.password, self.topview_conn_id)
        self._redactor = Redactor(api_key, connection.password)
        for form in self._redactor.forms:  # the task log masks the encoded forms too
            mask_secret(form)
        self.base_url = protocol.normalize_base_url(connection.host, connection.port)
        self.options = protocol.request_options(connection.extra_dejson)
        if self.options.ignored:
            self.log.warning(
                "Ignoring extras of connection %s that are not request options: %s",
                self.topview_conn_id,
                list(self.options.ignored),
            )
        session = self._apply_request_options(with_deadlines(requests.Session()))
        session.headers.update(protocol.auth_headers(uid, api_key))
        self._session = session
        return session

    def _apply_request_options(self, session: requests.Session) -> requests.Session:
        session.proxies = dict(self.options.proxies)
        session.verify = self.options.verify
        session.cert = self.options.cert
        return session

    def _storage_session(self) -> requests.Session:
        """A session for signed storage URLs: the connection's proxies/verify/cert, but no TopView headers."""
        self.get_conn()  # reads the connection's request options
        return self._apply_request_options(with_deadlines(requests.Session()))

    @property
    def storage(self) -> StorageClient:
        """The client for signed storage URLs (uploads, URL sources, video downloads)."""
        self.get_conn()  # the connection's request options apply to storage requests too
        return StorageClient(
            self._storage_session,
            self.retry_policy,
            self._attempt_timeout(),
            self.log,
            stall_timeout=self.stall_timeout,
        )

    def prepare(self) -> None:
        """Read the connection and resolve the timeouts now: errors in them surface before any request."""
        self.get_conn()
        protocol.split_timeout(self._attempt_timeout())

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- transport ------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        paid: bool = False,
        wait_when_busy: bool = True,
    ) -> Any:
        """Call an API endpoint and return the envelope's (redacted) ``result``, retrying transient failures.

        ``paid=True`` is for calls that must not run twice (the submit): it is repeated only after an
        answer that proves nothing was created; any other failure after sending raises
        :class:`~airflow_topview.exceptions.TopviewSubmitUncertainError`.
        """
        session = self.get_conn()
        url = self.base_url + endpoint
        connect, total = protocol.split_timeout(self._attempt_timeout())
        attempts = CallAttempts(
            self.retry_policy,
            total,
            self.call_timeout,
            f"{method} {endpoint}",
            paid=paid,
            wait_when_busy=wait_when_busy,
        )
        while True:
            budget = attempts.begin()
            try:
                return self._send(
                    session, method, url, endpoint, params, json, (min(connect, budget), budget)
                )
            except TopviewError as exc:
                error = exc
            delay = attempts.delay_after(error)
            self.log.warning(attempts.describe(error, delay))
            time.sleep(delay)

    def _send(
        self,
        session: requests.Session,
        method: str,
        url: str,
        endpoint: str,
        params: dict[str, Any] | None,
        json: dict[str, Any] | None,
        timeout: tuple[float, float],
    ) -> Any:
        """One attempt, read to the end within ``timeout[1]`` s (a dripping answer cannot stretch it)."""
        deadline = time.monotonic() + timeout[1]
        answered = False  # once headers are back, the request certainly reached the server
        try:
            # No redirects: a 307/308 would make requests send a paid POST again, outside the retry rules.
            # The exchange deadline cuts a server that drips its headers (a read timeout alone does not).
            with (
                exchange_deadline(timeout[1]) as cut,
                session.request(
                    method, url, params=params, json=json, timeout=timeout, stream=True, allow_redirects=False
                ) as response,
            ):
                answered = True
                chunks = []
                while chunk := response.raw.read1(_ANSWER_READ_SIZE, decode_content=True):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        if _complete(response.raw, chunks):
                            break  # the whole answer is here: a paid submit's task id is never dropped
                        raise TopviewConnectionError(
                            f"{method} {endpoint}: no complete answer within {timeout[1]:g} s"
                        )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if isinstance(exc, ValueError) and answered:
                raise
            detail = self._redactor.text(f"{type(exc).__name__}: {exc}")
            if cut.is_set():
                detail = f"no complete answer within {timeout[1]:g} s ({detail})"
            raise TopviewConnectionError(
                f"{method} {endpoint} failed: {detail}", sent=answered or not never_sent(exc)
            ) from None
        if cut.is_set() and not _complete(response.raw, chunks):  # cut mid-answer: may still parse
            raise TopviewConnectionError(f"{method} {endpoint}: no complete answer within {timeout[1]:g} s")
        text = protocol.decode_text(b"".join(chunks), response.encoding)
        return protocol.read_envelope(
            response.status_code,
            response.headers,
            text,
            endpoint,
            self._redactor,
            refused_hint=protocol.auth_hint(self.topview_conn_id),
        )

    # --- API calls ------------------------------------------------------------------------------

    def submit_task(
        self, task_type: TaskType, request: SubmitsBody, *, wait_when_busy: bool = True
    ) -> SubmitResult:
        """Submit a task of ``task_type`` (this spends credits). Returns the new task id.

        Repeated only after an answer that proves TopView created nothing (4007, 5003, HTTP 429, a
        connection refused before sending); after any other failure, or an answer without a readable
        task id, raises TopviewSubmitUncertainError: the task may exist, and a second submit would pay again.
        ``wait_when_busy=False`` raises the 4007 answer at once instead of waiting up to ``busy_timeout``.
        """
        result = self.call(
            "POST",
            task_type.submit_path,
            json=request.to_body(),
            paid=True,
            wait_when_busy=wait_when_busy,
        )
        try:
            return SubmitResult.model_validate(result)
        except ValidationError:
            shown = protocol.short(repr(result))
            raise uncertain_submit(
                f"POST {task_type.submit_path}",
                TopviewConnectionError(f"HTTP 200 whose result has no readable task id: {shown}"),
            ) from None

    def get_task(
        self, task_type: TaskType, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos (signed URLs that expire)."""
        params = protocol.query_params(topview_task_id, cloudfront_url)
        return task_from_answer(self.call("GET", task_type.query_path, params=params))

    def submit_image_to_video(
        self, request: ImageToVideoRequest, *, wait_when_busy: bool = True
    ) -> SubmitResult:
        """Submit an Image-to-Video V2 task (this spends credits): :meth:`submit_task` for that type."""
        return self.submit_task(IMAGE_TO_VIDEO, request, wait_when_busy=wait_when_busy)

    def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query an Image-to-Video task: :meth:`get_task` for that type."""
        return self.get_task(IMAGE_TO_VIDEO, topview_task_id, cloudfront_url=cloudfront_url)

    def check_notice_url(self, notice_url: str) -> None:
        """Ask TopView to validate a callback URL before a submit names it; a refusal raises TopviewAPIError.

        TopView's docs do not say whether ``noticeUrl`` is read from the query string or a JSON body, so it
        is sent in both.
        """
        body = {"noticeUrl": notice_url}
        result = self.call("POST", protocol.NOTICE_URL_CHECK, params=body, json=body)
        if result is False or (isinstance(result, str) and result.strip().lower() == "false"):
            raise TopviewAPIError(
                "4000", f"TopView refused the callback URL {notice_url!r}", endpoint=protocol.NOTICE_URL_CHECK
            )

    def get_credit(self) -> CreditDetail:
        """The account's remaining credits."""
        return CreditDetail.model_validate(self.call("GET", protocol.CREDIT_DETAIL))

    def test_connection(self) -> tuple[bool, str]:
        """Read the credit balance: cheap, read-only, and proves the UID and key are accepted."""
        hook = TopviewHook(self.topview_conn_id, retry_limit=1, timeout=self.timeout)
        try:
            credit = hook.get_credit()
        except TopviewError as exc:
            return False, str(exc)
        finally:
            hook.close()
        return True, f"Connected to TopView; remaining credits: {credit.remain_credit}"


def _complete(raw: Any, chunks: list[bytes]) -> bool:
    """Whether the bytes read so far are the whole answer (its Content-Length, or a whole JSON document)."""
    if getattr(raw, "length_remaining", None) == 0:
        return True
    try:
        json.loads(b"".join(chunks))
    except ValueError:
        return False
    return True
