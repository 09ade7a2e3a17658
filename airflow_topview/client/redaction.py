"""Keep the API key out of every text a server or a library hands back.

A server or proxy may quote the ``Authorization`` header in an error body, and HTTP libraries quote
header values in their exceptions. Those texts travel far: into exceptions, trigger events (which
the resuming worker logs without ever having read, and so masked, the connection), logs and XCom.
The hooks pass everything that came from outside through one :class:`Redactor` first.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter "secrets" would redact ordinary words; real keys are far longer.
_MIN_SECRET_LENGTH = 6


def encoded_forms(secret: str) -> set[str]:
    """The secret as servers and libraries may write it back: JSON-escaped (``\\/``), URL-encoded
    (either case), and base64 (standard or URL-safe) at any offset inside a longer encoded text."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        quote(secret, safe=""),
        quote(secret, safe="/"),
        quote_plus(secret),
    }
    forms |= {form.lower() for form in list(forms) if "%" in form}
    raw = secret.encode()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = -(-8 * offset // 6)  # the first character made of the secret's bits only
        end = (8 * (offset + len(raw))) // 6  # past the last such character
        fragment = encoded[start:end]
        forms |= {fragment, fragment.replace("+", "-").replace("/", "_")}
    return {form for form in forms if len(form) >= _MIN_SECRET_LENGTH}


class Redactor:
    """Replaces the given secrets, in every encoded form (longest first), with ``***``."""

    def __init__(self, *secrets: str | None) -> None:
        found = {secret for secret in secrets if secret and len(secret) >= _MIN_SECRET_LENGTH}
        found |= {secret.strip() for secret in found if len(secret.strip()) >= _MIN_SECRET_LENGTH}
        forms = set().union(*(encoded_forms(secret) for secret in found)) if found else set()
        self._secrets = sorted(forms, key=len, reverse=True)

    @property
    def forms(self) -> list[str]:
        """Every form of every secret, for Airflow's own log masking (``mask_secret``)."""
        return list(self._secrets)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """A copy of decoded JSON (dicts, lists, strings) with every string redacted."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(key)): self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value


#: For texts read before any credentials are known.
NO_SECRETS = Redactor()


_QUERY = re.compile(r"\?[^\s'\")<]*")
_USERINFO = re.compile(r"(?<=://)[^/@\s'\"]+@")
# What S3-like services quote back in error bodies: the signed request and the signature they expected.
_SIGNED_ELEMENTS = re.compile(
    r"<(StringToSign|StringToSignBytes|SignatureProvided|CanonicalRequest|CanonicalRequestBytes|"
    r"AWSAccessKeyId|Credential|SecurityToken)>.*?</\1>",
    re.S,
)
_SIGNED_PARAMS = re.compile(
    r"\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|Policy|Key-Pair-Id|sig|token)"
    r"=[^&\s'\"<]+",
    re.I,
)


def without_query(text: str) -> str:
    """Drop query strings (presigned signatures) and user:password parts from URLs in a text."""
    return _USERINFO.sub("***@", _QUERY.sub("", text))


def without_signatures(text: str) -> str:
    """A storage error body without what could sign a request again (signatures, tokens, credentials)."""
    text = _SIGNED_ELEMENTS.sub(lambda match: f"<{match.group(1)}>***</{match.group(1)}>", text)
    return without_query(_SIGNED_PARAMS.sub(lambda match: f"{match.group(1)}=***", text))


def shown_body(body: dict[str, Any]) -> dict[str, Any]:
    """The submit body for the log: a callback URL without its query (tokens) or user:password."""
    if isinstance(body.get("noticeUrl"), str):
        return {**body, "noticeUrl": without_query(body["noticeUrl"])}
    return body
