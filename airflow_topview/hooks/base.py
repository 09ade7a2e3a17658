"""What the sync and the async hook share: the ``topview`` connection type and one signature.

``hook_params`` mean the same on the worker and in the triggerer because both hooks take them here.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import BaseHook

from airflow_topview.client import protocol
from airflow_topview.client.redaction import NO_SECRETS, Redactor
from airflow_topview.hooks.settings import TopviewHookSettings


class TopviewHookBase(BaseHook):
    """The ``topview`` connection and the settings every TopView call runs with.

    The settings are keyword arguments (``hook_params``), validated by :class:`TopviewHookSettings` (a bad one
    raises RequestValidationError naming it), or a ``settings=TopviewHookSettings(...)`` instance:

    :param topview_conn_id: the ``topview`` connection to use.
    :param retry_limit: attempts per call, the first included (1 = no retry).
    :param retry_delay: base of the exponential backoff, in seconds.
    :param retry_max_delay: longest single wait between attempts, in seconds.
    :param busy_timeout: how long to keep retrying while TopView answers 4007 (the account's concurrency
        limit is reached: a slot frees when one of its running tasks finishes), in seconds.
    :param timeout: seconds one attempt may take, from connecting to the last byte of the answer (a
        server that answers byte by byte cannot stretch it): one number, or (connect, answer). When
        not given, the connection's ``timeout`` extra, else (10, 60).
    :param call_timeout: seconds one API call may take, all its retries included (4007 busy waits are
        bounded by ``busy_timeout`` instead).
    :param stall_timeout: a file transfer (upload, URL source, download) that receives or sends fewer than
        64 KiB in this many seconds is abandoned as stalled, and retried (the sync hook's files only).
    """

    conn_name_attr = "topview_conn_id"
    default_conn_name = "topview_default"
    conn_type = "topview"
    hook_name = "TopView"

    def __init__(
        self,
        topview_conn_id: str = default_conn_name,
        *,
        settings: TopviewHookSettings | None = None,
        **hook_params: Any,
    ) -> None:
        super().__init__()
        self.topview_conn_id = topview_conn_id
        if settings is not None and hook_params:
            raise TypeError("give either settings or hook keyword arguments, not both")
        self.settings = settings if settings is not None else TopviewHookSettings.of(hook_params)
        self.retry_policy = self.settings.retry_policy()
        self.timeout = self.settings.timeout
        self.call_timeout = self.settings.call_timeout
        self.stall_timeout = self.settings.stall_timeout
        self.options = protocol.RequestOptions()
        self._redactor: Redactor = NO_SECRETS

    @property
    def redactor(self) -> Redactor:
        """Removes this connection's key from text (effective once the connection was read)."""
        return self._redactor

    def _attempt_timeout(self) -> float | tuple[float, float]:
        """The hook's ``timeout`` when given, else the connection's ``timeout`` extra, else the default."""
        return self.timeout or self.options.timeout or protocol.DEFAULT_TIMEOUT
