"""Reading a ``topview`` connection: its host, credentials and request-option extras, each checked once.

The sync hook and the async (triggerer) hook both read their connection through these functions (via
:mod:`airflow_topview.client.protocol`), so a bad field is refused the same way on the worker and in the
triggerer: before any request, with TopviewCredentialsError (never retried), naming the field and the
value it got (the API key only by its length).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from airflow_topview.exceptions import TopviewCredentialsError

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_BASE_URL = "https://api.topview.ai"


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """Connection host (and port field) -> base URL; raises TopviewCredentialsError naming a bad one.

    Empty means TopView's API; a host without a scheme gets https; an IPv6 address needs brackets
    (``[::1]``) and keeps its port. A path is accepted as the prefix of a gateway in front of TopView
    (``https://gateway/topview``). Refused before any request: a scheme other than http(s), spaces or
    control characters, ``user:password@`` (credentials belong in login/password), a query or fragment,
    and a port outside 1-65535 (in the host or the port field).
    """
    given = host
    host = (host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    shown = _shown(given)
    if not _header_safe(host) or " " in host:
        raise TopviewCredentialsError(f"Connection host: spaces or control characters in {shown}")
    base = host if "://" in host else f"https://{host}"
    try:
        parts = urlsplit(base)
        in_url = parts.port
    except ValueError as exc:
        if "Port" in str(exc):
            raise TopviewCredentialsError(
                f"Connection port: must be 1-65535, got {_port_in(base)!r} in host {shown}"
            ) from None
        raise TopviewCredentialsError(f"Connection host: not a URL ({exc}), got {shown}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise TopviewCredentialsError(f"Connection host: must be an http(s) URL, got {shown}")
    if parts.username is not None or parts.password is not None:
        raise TopviewCredentialsError(
            "Connection host: must not carry user:password@ (put the UID in login and the key in "
            f"password), got {parts.scheme}://***@{parts.hostname}"
        )
    if parts.query or parts.fragment or not parts.hostname:
        raise TopviewCredentialsError(
            f"Connection host: must be a base URL (no query or fragment), got {shown}"
        )
    if ":" in parts.hostname and not parts.netloc.startswith("["):
        raise TopviewCredentialsError(f"Connection host: an IPv6 address needs brackets ([::1]), got {shown}")
    if in_url == 0:
        raise TopviewCredentialsError(f"Connection port: must be 1-65535, got 0 in host {shown}")
    if port is not None and not (isinstance(port, int) and 0 < port < 65536):
        raise TopviewCredentialsError(f"Connection port: must be 1-65535, got {port!r}")
    if port and in_url is None:
        base = urlunsplit((parts.scheme, f"{parts.netloc}:{port}", parts.path, "", ""))
    return base


def _port_in(url: str) -> str:
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    return netloc.rsplit("]", 1)[-1].rpartition(":")[2]


def _shown(value: object, limit: int = 120) -> str:
    """A connection value for a message (never the password): its repr, cut short with its length."""
    text = repr(value)
    if len(text) <= limit:
        return text
    length = len(value) if isinstance(value, str) else len(text)
    return f"{text[: limit - 3]}... ({length} characters)"


#: Longest Topview UID and API key taken (both are short tokens; a huge one is a paste error).
MAX_UID_CHARS = 256
MAX_KEY_CHARS = 1024


def credentials(login: str | None, password: str | None, conn_id: str) -> tuple[str, str]:
    """(Topview UID, API key) of a connection, stripped of surrounding whitespace (copied from a web page).

    Raises TopviewCredentialsError, naming the connection and the field, when one is missing, too long,
    or holds characters no HTTP header can carry (the UID also no inner whitespace). The UID it got is
    quoted; the API key never is, only its length.
    """
    uid, key = (login or "").strip(), (password or "").strip()
    where = f"Connection {conn_id!r}"
    if not uid:
        raise TopviewCredentialsError(f"{where} has no login (Topview UID): got {_shown(login)}")
    if not key:
        raise TopviewCredentialsError(f"{where} has no password (API key): it is empty or blank")
    problems = []
    if len(uid) > MAX_UID_CHARS:
        problems.append(f"the login (Topview UID) is too long, got {_shown(uid)}")
    elif not _header_safe(uid) or any(char.isspace() for char in uid):
        problems.append(
            f"the login (Topview UID) contains spaces, control or non-ASCII characters: {_shown(uid)}"
        )
    if len(key) > MAX_KEY_CHARS:
        problems.append(
            f"the password (API key) is too long ({len(key)} characters; at most {MAX_KEY_CHARS})"
        )
    elif not _header_safe(key):
        problems.append(
            "the password (API key) contains control or non-ASCII characters, which cannot be sent in an "
            "HTTP header; copy it again from TopView's API settings"
        )
    if problems:
        raise TopviewCredentialsError(f"{where}: " + "; ".join(problems))
    return uid, key


def _header_safe(value: str) -> bool:
    return all(" " <= char <= "~" for char in value)


#: Connection extras read as request options (the names providers-http uses); anything else is ignored.
REQUEST_OPTION_EXTRAS = frozenset({"timeout", "proxies", "proxy", "verify", "verify_ssl", "cert"})


class RequestOptions(BaseModel):
    """Request options from a connection's extras, read the same way by the sync and the async hook.

    Each field's validator is the one rule for that extra; a bad value raises TopviewCredentialsError
    (not a pydantic error) naming the extra and the value, so the message reads the same everywhere.
    """

    model_config = ConfigDict(frozen=True)

    # In the order they are checked.
    proxies: dict[str, str] = Field(default_factory=dict)
    verify: bool | str = True
    cert: str | tuple[str, str] | None = None
    timeout: float | tuple[float, float] | None = None
    ignored: tuple[str, ...] = ()

    @field_validator("proxies", mode="before")
    @classmethod
    def _check_proxies(cls, value: Any) -> dict[str, str]:
        return _proxies(value or {})

    @field_validator("verify", mode="before")
    @classmethod
    def _check_verify(cls, value: Any) -> bool | str:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value if isinstance(value, bool) else _existing_path("verify", value, folder_ok=True)

    @field_validator("cert", mode="before")
    @classmethod
    def _check_cert(cls, value: Any) -> str | tuple[str, str] | None:
        if value is None:
            return None
        parts = value if isinstance(value, (list, tuple)) else [value]
        if not 1 <= len(parts) <= 2:
            raise TopviewCredentialsError(
                f"Connection extra 'cert': a file or [cert, key], got a list of {len(parts)}: {_shown(value)}"
            )
        files = [_existing_path("cert", part) for part in parts]
        return files[0] if len(files) == 1 else (files[0], files[1])

    @field_validator("timeout", mode="before")
    @classmethod
    def _check_timeout(cls, value: Any) -> float | tuple[float, float] | None:
        return None if value is None else _timeout(value)


def request_options(extra: Mapping[str, Any]) -> RequestOptions:
    """``timeout``, ``proxies`` (or ``proxy``), ``verify`` (or ``verify_ssl``) and ``cert`` from extras.

    Each is checked here, before any request, for the sync and the async hook alike; a bad one raises
    TopviewCredentialsError naming the extra and the value: ``timeout`` is seconds > 0 or (connect,
    answer) (numeric text such as ``"30"`` is accepted: the UI's extras are typed by hand); ``proxies`` a
    URL or a dict of ``http``/``https`` to http(s) or socks URLs; ``verify`` a boolean or an existing CA
    file or folder; ``cert`` an existing file or a (cert, key) pair of files. Extras are never sent as HTTP
    headers; unknown ones are accepted and ignored (Airflow's UI adds its own), listed in ``ignored``
    (names only) for the hook to warn about.
    """
    try:
        return RequestOptions(
            proxies=extra.get("proxies", extra.get("proxy")),
            verify=extra.get("verify", extra.get("verify_ssl", True)),
            cert=extra.get("cert"),
            timeout=extra.get("timeout"),
            ignored=tuple(sorted(str(name) for name in extra if name not in REQUEST_OPTION_EXTRAS)),
        )
    except ValidationError as exc:  # pydantic's text quotes the input, which may hold a proxy password
        fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        raise TopviewCredentialsError(
            f"Connection extras {', '.join(repr(name) for name in fields)}: not usable values"
        ) from None


_PROXY_SCHEMES = ("http", "https", "socks4", "socks5", "socks5h")


def _proxies(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = {"http": value, "https": value}
    if not isinstance(value, dict):
        raise TopviewCredentialsError(
            f"Connection extra 'proxies': must be a URL or a dict of URLs, got {_shown(value)}"
        )
    for scheme, url in value.items():
        if scheme not in ("http", "https"):
            raise TopviewCredentialsError(
                f"Connection extra 'proxies': keys must be 'http' or 'https', got {_shown(scheme)}"
            )
        try:
            parts = urlsplit(url) if isinstance(url, str) else None
            hostname, password = (parts.hostname, parts.password) if parts is not None else (None, None)
        except ValueError:  # never quoted: the URL may carry a password
            raise TopviewCredentialsError(
                f"Connection extra 'proxies': {scheme} must be a proxy URL such as http://proxy:3128, "
                "got text that is not a URL"
            ) from None
        if parts is None or parts.scheme not in _PROXY_SCHEMES or not hostname or " " in url:
            raise TopviewCredentialsError(
                f"Connection extra 'proxies': {scheme} must be a proxy URL such as http://proxy:3128, "
                f"got {_shown(url) if password is None else 'a URL with a password'}"
            )
    return {str(scheme): str(url) for scheme, url in value.items()}


def _existing_path(name: str, value: Any, *, folder_ok: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TopviewCredentialsError(f"Connection extra {name!r}: must be a file path, got {_shown(value)}")
    path = Path(value.strip()).expanduser()
    if not (path.is_file() or (folder_ok and path.is_dir())):
        what = "true, false or an existing CA file or folder" if folder_ok else "an existing file"
        raise TopviewCredentialsError(f"Connection extra {name!r}: must be {what}, got {_shown(value)}")
    return str(path)


def _timeout(value: Any) -> float | tuple[float, float]:
    parts = value if isinstance(value, list) else [value]
    numbers = [_seconds(part) for part in parts] if len(parts) in (1, 2) else []
    if not numbers or None in numbers:
        raise TopviewCredentialsError(
            f"Connection extra 'timeout': must be seconds > 0 or [connect, answer], got {_shown(value)}"
        )
    return numbers[0] if len(numbers) == 1 else (numbers[0], numbers[1])  # type: ignore[return-value]


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None
