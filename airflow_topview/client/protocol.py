"""TopView's wire protocol, shared by the sync hook and the async trigger path.

Endpoints, credentials and auth headers, timeouts and the ``{"code", "message", "result"}`` envelope
live here once, so both transports send and read the same way (retry decisions: :mod:`.retries`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

# Connection reading lives in client.connection; the hooks reach it through this module.
from airflow_topview.client.connection import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from airflow_topview.client.connection import REQUEST_OPTION_EXTRAS as REQUEST_OPTION_EXTRAS
from airflow_topview.client.connection import RequestOptions as RequestOptions
from airflow_topview.client.connection import credentials as credentials
from airflow_topview.client.connection import normalize_base_url as normalize_base_url
from airflow_topview.client.connection import request_options as request_options
from airflow_topview.client.redaction import NO_SECRETS, Redactor
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewCredentialsError

if TYPE_CHECKING:
    from collections.abc import Mapping


# The submit and query endpoints of each task type: airflow_topview.client.task_types.
UPLOAD_CREDENTIAL = "/v1/upload/credential"
UPLOAD_CHECK = "/v1/upload/check"
CREDIT_DETAIL = "/user/credit/detail"
NOTICE_URL_CHECK = "/notice/notice_url/check"

# (connect timeout, deadline of one attempt's whole answer): connecting is quick or broken; TopView
# answers within seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)

SUCCESS_CODE = "200"
_MAX_MESSAGE_CHARS = 300


def auth_headers(uid: str, api_key: str) -> dict[str, str]:
    """The two headers every API call carries (never the presigned upload PUT)."""
    return {"Topview-Uid": uid, "Authorization": f"Bearer {api_key}"}


def query_params(topview_task_id: str, cloudfront_url: bool = True) -> dict[str, str]:
    """Query string of the Image-to-Video status call."""
    return {"taskId": topview_task_id, "needCloudFrontUrl": str(cloudfront_url).lower()}


def missing_connection(conn_id: str) -> TopviewCredentialsError:
    """The error for a connection id that is not defined: no retry will define it."""
    return TopviewCredentialsError(
        f"Connection {conn_id!r} is not defined. Create a connection of type 'topview' with that id, with "
        "login = your Topview UID and password = your API key (TopView web app, API Settings)."
    )


def auth_hint(conn_id: str) -> str:
    """What to check when TopView refuses the credentials (never their values)."""
    return (
        f"check connection {conn_id!r}: login must be your Topview UID and password your API key "
        "(TopView web app, API Settings); plans without API access are refused too"
    )


def split_timeout(timeout: float | tuple[float, float] | list[float]) -> tuple[float, float]:
    """(connect timeout, deadline of one attempt's answer) from a number or (connect, answer)."""
    if isinstance(timeout, (tuple, list)):
        connect, total = timeout
        return float(connect), float(total)
    return float(timeout), float(timeout)


def decode_text(raw: bytes, charset: str | None) -> str:
    """A body as text, whatever bytes came (a non-UTF-8 error page must not break the reader)."""
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[:_MAX_MESSAGE_CHARS] + "..."


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; None when absent or a date."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def read_envelope(
    status: int,
    headers: Mapping[str, str],
    text: str,
    endpoint: str,
    redactor: Redactor = NO_SECRETS,
    *,
    refused_hint: str = "",
) -> Any:
    """Return the envelope's ``result``, or raise TopviewAPIError / TopviewConnectionError.

    TopView reports business errors with HTTP 200 and a ``code`` other than ``"200"``, so the code is
    read first; an HTTP error without an envelope becomes code ``"HTTP <status>"``. Everything read
    from the answer (result included) passes through ``redactor`` first. ``refused_hint`` is added to
    the message when TopView refuses the credentials (401, or HTTP 401/403).
    """
    retry_after = parse_retry_after(headers)
    try:
        payload = redactor.data(json.loads(text)) if text else None
    except ValueError:
        payload = None
    text = redactor.text(text)
    if isinstance(payload, dict) and "code" in payload:
        code = str(payload["code"])
        if code == SUCCESS_CODE and status < 400:
            return payload.get("result")
        if code != SUCCESS_CODE:
            message = short(str(payload.get("message") or "no message"))
            if refused_hint and code == "401":
                message = f"{message} ({refused_hint})"
            raise TopviewAPIError(
                code, message, http_status=status, retry_after=retry_after, endpoint=endpoint
            )
    if status >= 400:
        message = short(text) or "no body"
        if refused_hint and status in (401, 403):
            message = f"{message} ({refused_hint})"
        raise TopviewAPIError(
            f"HTTP {status}",
            message,
            http_status=status,
            retry_after=retry_after,
            endpoint=endpoint,
        )
    raise TopviewConnectionError(f"TopView answered {endpoint} with an unreadable body: {short(text)!r}")
