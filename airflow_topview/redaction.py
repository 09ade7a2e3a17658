"""Keep the API key out of every text a server or a library hands back.

A server or proxy may quote the ``Authorization`` header in an error body, and HTTP libraries quote
header values in their exceptions. Those texts travel far: into exceptions, trigger events (which
the resuming worker logs without ever having read, and so masked, the connection), logs and XCom.
The hooks pass everything that came from outside through one :class:`Redactor` first.
"""

from __future__ import annotations

from typing import Any

MASK = "***"
# Shorter "secrets" would redact ordinary words; real keys are far longer.
_MIN_SECRET_LENGTH = 6


class Redactor:
    """Replaces the given secrets (longest first) with ``***`` in text and in decoded JSON."""

    def __init__(self, *secrets: str | None) -> None:
        found = {secret for secret in secrets if secret and len(secret) >= _MIN_SECRET_LENGTH}
        found |= {secret.strip() for secret in found if len(secret.strip()) >= _MIN_SECRET_LENGTH}
        self._secrets = sorted(found, key=len, reverse=True)

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
