"""Where a video may be fetched from: never a loopback or link-local address TopView has no business in.

A finished task's ``filePath`` comes from the server. Fetching it from ``127.0.0.1`` or
``169.254.169.254`` (a cloud's metadata service) would let a broken or hostile answer make the worker
read local services. Such targets are refused unless the connection itself points at one (the bundled
simulator, a local gateway). Video downloads never carry TopView's headers, whatever the host.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from airflow_topview.exceptions import TopviewError


def is_local(host: str | None) -> bool:
    """Whether ``host`` is, or resolves to, a loopback or link-local address."""
    if not host:
        return False
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False  # unresolvable: the request itself will fail, naming the host
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if ip.is_loopback or ip.is_link_local:
            return True
    return False


def check_video_url(url: str, api_base_url: str) -> None:
    """Refuse a video URL on a loopback or link-local host, unless the API's own host is one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TopviewError(f"refusing to download a video from a {parts.scheme or 'scheme-less'} URL")
    host = parts.hostname
    if is_local(host) and not is_local(urlsplit(api_base_url).hostname):
        raise TopviewError(
            f"refusing to download a video from {host}: a loopback or link-local address, while the "
            f"TopView connection points at {urlsplit(api_base_url).hostname}"
        )
