"""pytest fixtures ``topview_simulator`` and ``topview_connection``, registered through the ``pytest11``
entry point. Imports stay inside the fixtures: pytest loads this module in every session of every
project that has the provider installed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from airflow_topview.testing.simulator import TopviewSimulator

TEST_UID = "test-uid"
TEST_API_KEY = "sk-test-key"


@pytest.fixture
def topview_simulator() -> Iterator[TopviewSimulator]:
    """A running simulator (uid ``test-uid``, key ``sk-test-key``) whose tasks finish on the first poll.

    Strict about models, like TopView: names outside the catalog get 4000 unless the test calls
    ``add_model(name)`` or sets ``accept_any_model = True``.
    """
    from airflow_topview.testing.simulator import TopviewSimulator

    with TopviewSimulator(uid=TEST_UID, api_key=TEST_API_KEY, polls_to_finish=1) as sim:
        yield sim


@pytest.fixture
def topview_connection(
    topview_simulator: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> TopviewSimulator:
    """``topview_simulator`` plus an Airflow connection ``topview_default`` pointing at it (env var)."""
    conn = {
        "conn_type": "topview",
        "login": topview_simulator.uid,
        "password": topview_simulator.api_key,
        "host": topview_simulator.base_url,
    }
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(conn))
    return topview_simulator
