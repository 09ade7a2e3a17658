"""Nothing blocking runs on the triggerer's event loop: no import happens once the trigger runs.

A fresh process imports the trigger module (as the triggerer does when it loads a trigger), then runs
one trigger to its event against the simulator while an import hook records every module imported
with the event loop running. An import there blocks every other trigger of the triggerer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from airflow_topview.client.request import build_request
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import TopviewSimulator

CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, time

    from airflow_topview.triggers.image_to_video import ImageToVideoTrigger

    on_loop = []

    class Recorder:
        def find_spec(self, name, path=None, target=None):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return None
            on_loop.append(name)
            return None

    sys.meta_path.insert(0, Recorder())

    async def main():
        trigger = ImageToVideoTrigger(
            topview_task_id=sys.argv[1], end_time=time.time() + 30, poll_interval=0.05
        )
        return [event.payload async for event in trigger.run()]

    events = asyncio.run(main())
    print("RESULT " + json.dumps({"events": events, "imported_on_loop": on_loop}))
    """
)

# What this provider's code brings in (Airflow's own lazy imports are already loaded in a real triggerer).
HEAVY = ("airflow_topview", "airflow.providers", "pydantic", "aiohttp", "requests", "urllib3", "yarl")


def test_first_trigger_in_a_fresh_process_imports_nothing_on_the_loop(
    topview_connection: TopviewSimulator,
) -> None:
    sim = topview_connection
    request = build_request({"first_frame_file_id": sim.add_file("png")})
    task_id = TopviewHook(retry_limit=1).submit_image_to_video(request).task_id
    child = subprocess.run(
        [sys.executable, "-c", CHILD, task_id],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    [line] = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
    result = json.loads(line.removeprefix("RESULT "))
    assert [event["status"] for event in result["events"]] == ["success"]
    heavy = [name for name in result["imported_on_loop"] if name.startswith(HEAVY)]
    assert heavy == [], f"imported while the event loop ran: {heavy}"
