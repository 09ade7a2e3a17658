"""A local TopView API simulator and its pytest plugin, for this provider's tests and for users' DAG tests.

Names are loaded lazily so that the pytest plugin (which imports this package) stays cheap::

    from airflow_topview.testing import TopviewSimulator, Fault
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_topview.testing.faults import ENDPOINTS, Fault
    from airflow_topview.testing.lifecycle import TaskRecord, VideoRecord
    from airflow_topview.testing.records import CallbackRecord, FileRecord, JournalEntry
    from airflow_topview.testing.simulator import TopviewSimulator

__all__ = [
    "ENDPOINTS",
    "CallbackRecord",
    "Fault",
    "FileRecord",
    "JournalEntry",
    "TaskRecord",
    "TopviewSimulator",
    "VideoRecord",
]

_HOMES = {
    "ENDPOINTS": "faults",
    "Fault": "faults",
    "TopviewSimulator": "simulator",
    "CallbackRecord": "records",
    "FileRecord": "records",
    "JournalEntry": "records",
    "TaskRecord": "lifecycle",
    "VideoRecord": "lifecycle",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
