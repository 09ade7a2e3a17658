"""A local TopView API simulator and its pytest plugin, for this provider's tests and for users' DAG tests.

Names are loaded lazily so that the pytest plugin (which imports this package) stays cheap::

    from airflow_topview.testing import TopviewSimulator, Fault

The simulator serves Image-to-Video, Text-to-Video and Omni Reference; ``submit_endpoint(task_type)`` and
``query_endpoint(task_type)`` name their endpoints for the journal and ``inject`` (``"submit"``,
``"text2video_submit"``, ``"omni_reference_query"``, ...).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_topview.testing.faults import ENDPOINTS, Fault
    from airflow_topview.testing.lifecycle import TaskRecord, VideoRecord
    from airflow_topview.testing.records import CallbackRecord, FileRecord, JournalEntry
    from airflow_topview.testing.simulator import TopviewSimulator
    from airflow_topview.testing.task_endpoints import TASK_ENDPOINTS, query_endpoint, submit_endpoint

__all__ = [
    "ENDPOINTS",
    "TASK_ENDPOINTS",
    "CallbackRecord",
    "Fault",
    "FileRecord",
    "JournalEntry",
    "TaskRecord",
    "TopviewSimulator",
    "VideoRecord",
    "query_endpoint",
    "submit_endpoint",
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
    "TASK_ENDPOINTS": "task_endpoints",
    "query_endpoint": "task_endpoints",
    "submit_endpoint": "task_endpoints",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
