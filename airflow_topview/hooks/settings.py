"""The hooks' settings (``hook_params``): one model, validated once, the same on worker and triggerer.

An operator checks its ``hook_params`` with :meth:`TopviewHookSettings.of` before anything is sent;
the sync and the async hook are built from the same model; the trigger carries
:meth:`TopviewHookSettings.as_hook_params` (plain JSON). Out-of-range values would otherwise show up
only when a call is retried or times out. A frozen dataclass, not a pydantic model: a sensor that
starts in the triggerer checks its settings at DAG parse time, where nothing heavy is imported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from airflow_topview.exceptions import RequestValidationError
from airflow_topview.settings import MAX_HOOK_SECONDS, MAX_RETRY_LIMIT, check_number

if TYPE_CHECKING:
    from airflow_topview.client.retries import RetryPolicy

#: Deadline of one API call, all retries included (busy waits for 4007 are bounded by busy_timeout).
DEFAULT_CALL_TIMEOUT = 300.0
#: A transfer that moves less than 64 KiB in this many seconds is abandoned as stalled.
DEFAULT_STALL_TIMEOUT = 60.0


@dataclass(frozen=True)
class TopviewHookSettings:
    """What every TopView call of a hook runs with (:class:`~airflow_topview.hooks.base.TopviewHookBase`)."""

    retry_limit: int = 5
    retry_delay: float = 1.0
    retry_max_delay: float = 30.0
    busy_timeout: float = 600.0
    timeout: float | tuple[float, float] | None = None
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    stall_timeout: float = DEFAULT_STALL_TIMEOUT

    @classmethod
    def of(cls, hook_params: Any) -> TopviewHookSettings:
        """The settings ``hook_params`` give; else RequestValidationError naming the key, rule and value."""
        if not isinstance(hook_params, dict):
            raise RequestValidationError(f"hook_params: must be a dict, got {type(hook_params).__name__}")
        known = tuple(field.name for field in fields(cls))
        unknown = sorted(str(name) for name in hook_params if name not in known)
        if unknown:
            raise RequestValidationError(
                f"hook_params: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}"
            )
        for name, value in hook_params.items():
            _check(name, value)
        timeout = hook_params.get("timeout")
        if isinstance(timeout, (list, tuple)):
            hook_params = {**hook_params, "timeout": timeout[0] if len(timeout) == 1 else tuple(timeout)}
        return cls(**hook_params)

    def retry_policy(self) -> RetryPolicy:
        from airflow_topview.client.retries import RetryPolicy

        return RetryPolicy(self.retry_limit, self.retry_delay, self.retry_max_delay, self.busy_timeout)

    def as_hook_params(self) -> dict[str, Any]:
        """The settings that differ from the defaults, as JSON (what a trigger stores)."""
        defaults = TopviewHookSettings()
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(self).items()
            if value != getattr(defaults, name)
        }


def _check(name: str, value: Any) -> None:
    if name == "retry_limit":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RETRY_LIMIT:
            raise RequestValidationError(
                f"hook_params.retry_limit: must be a whole number of at least 1 and at most "
                f"{MAX_RETRY_LIMIT}, got {value!r}"
            )
    elif name == "timeout":
        if value is None:  # the connection's ``timeout`` extra, else the default
            return
        parts = value if isinstance(value, (list, tuple)) else [value]
        if len(parts) not in (1, 2):
            raise RequestValidationError(
                f"hook_params.timeout: must be seconds or (connect, answer), got {value!r}"
            )
        for part in parts:
            check_number("hook_params.timeout", part, minimum=0, inclusive=False, maximum=MAX_HOOK_SECONDS)
    else:
        check_number(
            f"hook_params.{name}",
            value,
            minimum=0,
            inclusive=name not in ("call_timeout", "stall_timeout"),
            maximum=MAX_HOOK_SECONDS,
        )
