"""What a finished DAG run left, read through Airflow's public REST API (in process), not its ORM.

Airflow's tables change between releases (3.4 moved rendered template fields to another table); the
``/api/v2`` endpoints are the stable, documented surface. The API app is built once per process and
called in process (no server, no port); the simple auth manager lets the calls in as an admin.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from typing import Any

#: Enough for the biggest fan-out a test runs; a run with more is read page by page.
_PAGE = 1000


@functools.cache
def _client() -> Any:
    from fastapi.testclient import TestClient

    os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    from airflow.api_fastapi.app import create_app

    client = TestClient(create_app(apps="core"), base_url="http://localhost")
    # Airflow < 3.3 wants a token even for "all admins": the simple auth manager hands one out.
    answer = client.get("/auth/token")
    if answer.status_code in (200, 201) and "access_token" in answer.json():
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def _get(path: str, **params: Any) -> Any:
    response = _client().get(f"/api/v2{path}", params=params)
    if response.status_code != 200:
        raise RuntimeError(f"GET /api/v2{path} answered {response.status_code}: {response.text[:500]}")
    return response.json()


def _pages(path: str, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = _get(path, limit=_PAGE, offset=len(items))
        items += page[key]
        if len(items) >= page["total_entries"] or not page[key]:
            return items


def task_instances(dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of the run (``task_id``, ``map_index``, ``state``, ``try_number``, ...)."""
    return _pages(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")


class RunXComs(Mapping[tuple[str, str, int], Any]):
    """The run's XComs by ``(task_id, key, map_index)``; each value is fetched when first read."""

    def __init__(self, dag_id: str, run_id: str) -> None:
        self._base = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        entries = _pages(f"{self._base}/~/xcomEntries", "xcom_entries")
        self._keys = [(entry["task_id"], entry["key"], entry["map_index"]) for entry in entries]
        self._values: dict[tuple[str, str, int], Any] = {}

    def __getitem__(self, item: tuple[str, str, int]) -> Any:
        if item not in self._values:
            if item not in self._keys:
                raise KeyError(item)
            task_id, key, map_index = item
            entry = _get(f"{self._base}/{task_id}/xcomEntries/{key}", map_index=map_index, deserialize=True)
            self._values[item] = entry["value"]
        return self._values[item]

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class RunRenderedFields(Mapping[tuple[str, int], dict[str, Any]]):
    """Rendered template fields by ``(task_id, map_index)``, read per task instance when first read.

    From the single task instance endpoint: Airflow 3.1's list endpoint leaves them empty.
    """

    def __init__(self, dag_id: str, run_id: str, instances: list[dict[str, Any]]) -> None:
        self._base = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        self._keys = [(ti["task_id"], ti["map_index"]) for ti in instances]
        self._values: dict[tuple[str, int], dict[str, Any]] = {}

    def __getitem__(self, item: tuple[str, int]) -> dict[str, Any]:
        if item not in self._values:
            if item not in self._keys:
                raise KeyError(item)
            task_id, map_index = item
            path = f"{self._base}/{task_id}" + (f"/{map_index}" if map_index >= 0 else "")
            self._values[item] = dict(_get(path).get("rendered_fields") or {})
        return self._values[item]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
