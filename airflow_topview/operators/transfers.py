"""What the file operators share: a transfer that ``on_kill`` cancels, and a hook whose bad input fails.

Imported at DAG parse time: the hook and its transfer control are imported when a task runs.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_topview.exceptions import RequestValidationError
from airflow_topview.lineage import ReportsLineage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from airflow_topview.hooks.topview import TopviewHook
    from airflow_topview.hooks.transfer_control import TransferCancel


class CancellableTransfers(BaseOperator, ReportsLineage):
    """``on_kill`` (Airflow calls it on SIGTERM) cancels the transfer in progress; the try then fails.

    The cancel is checked between reads and upload pieces, and the sockets being read are shut down, so
    the transfer stops within moments and leaves no partial file under a final name. Waits that are not
    transfers (API calls, upload confirmation) end by their own timeouts.
    """

    _transfers: TransferCancel | None = None

    def on_kill(self) -> None:
        cancel = self._transfers
        if cancel is None:
            from airflow_topview.hooks.transfer_control import TransferCancel

            cancel = self._transfers = TransferCancel()  # killed before execute got to its transfers
        self.log.info("Task is being stopped: cancelling its file transfers")
        cancel.cancel()

    @contextmanager
    def _cancellable(self) -> Iterator[None]:
        from airflow_topview.hooks.transfer_control import TransferCancel

        cancel = self._transfers = self._transfers or TransferCancel()
        try:
            with cancel.applies():
                yield
        finally:
            self._transfers = None


@contextmanager
def hook_failing_permanently(topview_conn_id: str, hook_params: dict[str, Any]) -> Iterator[TopviewHook]:
    """A hook, closed afterwards; bad input (ValueError) and a missing source become RequestValidationError.

    The task's outcome is decided by :func:`~airflow_topview.task_outcome.task_outcome`: those and
    permanent API errors fail at once, transient ones are left to Airflow's retries.
    """
    from airflow_topview.hooks.topview import TopviewHook

    hook = TopviewHook(topview_conn_id, **hook_params)
    try:
        yield hook
    except RequestValidationError:
        raise
    except (ValueError, FileNotFoundError, IsADirectoryError) as exc:
        raise RequestValidationError(str(exc)) from None
    finally:
        hook.close()
