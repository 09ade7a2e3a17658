"""Presigned-style URLs for uploads and video downloads, so clients must treat them as opaque and expiring.

Video URLs carry ``Expires`` and ``Signature`` like S3/CloudFront links; rotating the key (``expire_all``)
invalidates every URL issued so far, which forces a client to query the task again for fresh ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal
from urllib.parse import urlencode

Verdict = Literal["ok", "expired", "bad"]

DEFAULT_URL_TTL = 24 * 3600.0


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class UrlSigner:
    """Issues and verifies the simulator's signed URLs."""

    def __init__(self, ttl_seconds: float = DEFAULT_URL_TTL) -> None:
        self.ttl_seconds = ttl_seconds
        self._video_key = secrets.token_bytes(32)
        self._upload_key = secrets.token_bytes(32)

    def expire_all(self) -> None:
        """Invalidate every video URL issued so far."""
        self._video_key = secrets.token_bytes(32)

    def video_url(self, base_url: str, task_id: str, index: int, now: float) -> str:
        expires = int(now + self.ttl_seconds)
        signature = _sign(self._video_key, f"{task_id}/{index}/{expires}")
        query = urlencode({"Expires": expires, "Signature": signature})
        return f"{base_url}/_videos/{task_id}/{index}.mp4?{query}"

    def check_video(self, task_id: str, index: int, expires: str, signature: str, now: float) -> Verdict:
        expected = _sign(self._video_key, f"{task_id}/{index}/{expires}")
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "bad"
        if not expires.isdigit() or int(expires) < now:
            return "expired"
        return "ok"

    def upload_url(self, base_url: str, file_id: str) -> str:
        query = urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Expires": "3600",
                "X-Amz-Signature": _sign(self._upload_key, file_id),
            }
        )
        return f"{base_url}/_upload/{file_id}?{query}"

    def check_upload(self, file_id: str, signature: str) -> bool:
        return hmac.compare_digest(_sign(self._upload_key, file_id).encode(), signature.encode())
