"""Whether a failed request can have reached the server: decided by exception type, never by message text.

A paid submit may be sent again only when nothing reached TopView. Both transports (requests/urllib3 on
the worker, aiohttp in the triggerer) raise their own classes for the failures that happen before a
request's first byte leaves: no connection (refused, no route, unknown host, connect timeout), a TLS
handshake that failed, an unusable URL or local setting (unknown scheme, missing certificate file, bad
timeout). Everything else (a timeout or a drop after sending, a broken answer) may have been received.
"""

from __future__ import annotations

import sys

import requests
import urllib3.exceptions

# requests' own classes for a request it never sent (bad URL, unknown scheme, a TLS handshake that failed).
_REQUESTS_NOT_SENT: tuple[type[BaseException], ...] = (
    requests.ConnectTimeout,
    requests.exceptions.SSLError,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
    requests.exceptions.InvalidProxyURL,
)
# urllib3's reasons inside a ConnectionError/MaxRetryError when no connection was ever made.
_URLLIB3_NOT_CONNECTED: tuple[type[BaseException], ...] = (
    urllib3.exceptions.NewConnectionError,  # refused, no route to host, unknown host (NameResolutionError)
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.SSLError,
    urllib3.exceptions.LocationParseError,
)


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never reached the server (so repeating it cannot duplicate it)."""
    if isinstance(exc, _REQUESTS_NOT_SENT + _URLLIB3_NOT_CONNECTED):
        return True
    if isinstance(exc, requests.ConnectionError | urllib3.exceptions.MaxRetryError):
        return _not_connected(exc)
    if isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError | ValueError | TypeError):
        return True  # local setup (a certificate file, a timeout value) failed before any connection
    if type(exc) is OSError and exc.errno is None:
        return True  # requests' own check of the TLS certificate files, before connecting (no socket error)
    return _aiohttp_not_sent(exc)


def _not_connected(exc: BaseException) -> bool:
    """A wrapped urllib3 failure whose reason (or a proxy's) is "never connected"."""
    reason: BaseException | None = getattr(exc, "reason", None)
    if reason is None and exc.args and isinstance(exc.args[0], BaseException):
        reason = getattr(exc.args[0], "reason", exc.args[0])
    if isinstance(reason, urllib3.exceptions.ProxyError):
        reason = reason.original_error if isinstance(reason.original_error, BaseException) else None
    return isinstance(reason, _URLLIB3_NOT_CONNECTED)


def _aiohttp_not_sent(exc: BaseException) -> bool:
    aiohttp = sys.modules.get("aiohttp")  # loaded by the async hook; never imported here for the worker
    if aiohttp is None:
        return False
    not_sent: tuple[type[BaseException], ...] = (
        aiohttp.ClientConnectorError,  # refused, no route, DNS, TLS handshake and certificate errors
        aiohttp.ConnectionTimeoutError,
        aiohttp.InvalidURL,  # an unusable URL or a scheme aiohttp does not speak (ftp://)
        aiohttp.ClientSSLError,
        *(type_ for type_ in (getattr(aiohttp, "NonHttpUrlClientError", None),) if type_ is not None),
    )
    return isinstance(exc, not_sent)
