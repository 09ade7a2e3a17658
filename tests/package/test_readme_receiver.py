"""The callback receiver docs/submit.md prints is the one tested: the simulator calls it, takes its reply."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

ROOT = Path(__file__).resolve().parents[2]
DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def doc_snippet(name: str) -> str:
    """The Python block after ``<!-- snippet: NAME -->`` in README.md or a page under docs/."""
    pattern = rf"<!-- snippet: {re.escape(name)} -->\n```python\n(.*?)```"
    found = [m.group(1) for page in DOC_PAGES for m in re.finditer(pattern, page.read_text(), re.DOTALL)]
    assert len(found) == 1, f"snippet {name!r} appears {len(found)} times in README.md and docs/ (want once)"
    return found[0]


@pytest.fixture
def receiver() -> Iterator[str]:
    namespace: dict[str, Any] = {"__name__": "readme_snippet"}  # not __main__: the snippet does not serve
    exec(compile(doc_snippet("notice-receiver"), "docs/submit.md", "exec"), namespace)
    server = HTTPServer(("127.0.0.1", 0), namespace["TopviewNotice"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/topview-notice"
    finally:
        server.shutdown()
        server.server_close()


def test_readme_receiver_answers_topview_the_documented_way(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, receiver: str
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_test_catalog_unchecked",
        conf={"model": "kling-v3", "first": sim.add_file("png"), "notice": receiver},
    )
    assert result.state == "success", result.log[-3000:]
    notice_uuid = result.xcom("submit", key="notice_uuid")
    sim.finish_task(result.xcom("submit"))
    [callback] = sim.wait_for(lambda: sim.callbacks, timeout=10)
    assert callback.payload["uuid"] == notice_uuid
    assert callback.reply_ok, callback.reply_problem
