"""`make demo`: image in, MP4 out, through a real `airflow dags test` run against the bundled simulator.

Runs ``dags/example_topview_image_to_video.py``, the DAG a user runs against the real TopView API: only
the ``topview_default`` connection differs (here it points at a local TopviewSimulator). The DAG uploads a
sample image, submits an Image-to-Video task, waits in the triggerer and downloads the video. Airflow's own
output goes to a log file; this script prints what crossed the wire and where the videos are.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from itertools import groupby
from pathlib import Path

from airflow_topview.client.connection import DEFAULT_BASE_URL
from airflow_topview.testing import JournalEntry, TopviewSimulator

ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = ROOT / "dags"
DEMO_DIR = ROOT / ".demo"
AIRFLOW_HOME = DEMO_DIR / "airflow"
VIDEOS = DEMO_DIR / "videos"
REAL_VIDEOS = DEMO_DIR / "real-videos"
#: This virtualenv's ``airflow`` (not the resolved interpreter: that would leave the virtualenv).
AIRFLOW = Path(sys.executable).with_name("airflow")
#: What the user writes in the printed command in place of their TopView credentials.
UID_PLACEHOLDER, KEY_PLACEHOLDER = "<Topview UID>", "<API key>"
DAG_ID = "example_topview_image_to_video"
UID, API_KEY = "demo-uid", "sk-demo-key"
SECONDS_TO_FINISH = 2.5


def airflow(args: list[str], env: dict[str, str], log: Path) -> int:
    command = [str(AIRFLOW), *args]
    with log.open("w") as out:
        return subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def describe(entry: JournalEntry) -> str:
    """One short line per request: what was asked, what was sent, what came back."""
    target = entry.path
    if entry.endpoint == "credential":
        target += f"?format={entry.query.get('format')}"
    if entry.endpoint in ("upload", "download"):
        leaked = {"Authorization", "Topview-Uid"} & set(entry.headers)
        notes = [f"{entry.body_size} bytes"] if entry.endpoint == "upload" else []
        notes.append(f"LEAKED {', '.join(sorted(leaked))}" if leaked else "no TopView headers")
        target += f" ({', '.join(notes)})"
    if entry.json:
        target += f" {json.dumps(entry.json)}"
    return f"{entry.method:<4} {target} -> {entry.status}"


def airflow_settings(airflow_home: Path) -> dict[str, str]:
    """What the demo's Airflow runs with: its own home (metadata DB) and the project's example DAGs."""
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }


def real_run_command(airflow_home: Path = AIRFLOW_HOME, output_dir: Path = REAL_VIDEOS) -> str:
    """The demo's DAG run against TopView itself, as one command that works from any new shell.

    It names everything the demo set up (Airflow home, dags folder, this virtualenv's ``airflow``) and
    the connection as an environment variable, with ``UID_PLACEHOLDER`` and ``KEY_PLACEHOLDER`` where
    the user's credentials go; the host is TopView's API (``DEFAULT_BASE_URL``).
    """
    connection = {
        "conn_type": "topview",
        "login": UID_PLACEHOLDER,
        "password": KEY_PLACEHOLDER,
        "host": DEFAULT_BASE_URL,
    }
    settings = {**airflow_settings(airflow_home), "AIRFLOW_CONN_TOPVIEW_DEFAULT": json.dumps(connection)}
    conf = json.dumps({"output_dir": str(output_dir)})
    lines = ["env", *(f"{name}={shlex.quote(value)}" for name, value in settings.items())]
    lines.append(shlex.join([str(AIRFLOW), "dags", "test", DAG_ID, "-c", conf]))
    return " \\\n      ".join(lines)


def main() -> int:
    airflow_home = AIRFLOW_HOME
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **airflow_settings(airflow_home)}
    print(f"TopView demo: {DAG_ID} against a local TopView simulator")
    if not (airflow_home / "airflow.db").exists():
        log = DEMO_DIR / "db-migrate.log"
        print(f"  Creating Airflow's metadata DB in {shown(airflow_home)} (log: {shown(log)}) ...")
        if airflow(["db", "migrate"], env, log) != 0:
            print(f"airflow db migrate failed: see {log}")
            return 1

    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=SECONDS_TO_FINISH) as sim:
        env["AIRFLOW_CONN_TOPVIEW_DEFAULT"] = json.dumps(
            {"conn_type": "topview", "login": UID, "password": API_KEY, "host": sim.base_url}
        )
        log = DEMO_DIR / "dags-test.log"
        print(f"  Simulator: {sim.base_url} (videos are ready {SECONDS_TO_FINISH:g} s after submit)")
        print(f"  Running:   airflow dags test {DAG_ID}   (Airflow's output: {shown(log)})")
        started = time.monotonic()
        code = airflow(["dags", "test", DAG_ID, "-c", json.dumps({"output_dir": str(VIDEOS)})], env, log)
        elapsed = time.monotonic() - started
        journal, task_ids = sim.journal, list(sim.tasks)

    print("\nWhat crossed the wire:")
    for line, same in groupby(describe(entry) for entry in journal):
        repeated = len(list(same))
        print(f"  {line}" + (f"  (x{repeated})" if repeated > 1 else ""))

    videos = sorted(path for path in VIDEOS.glob("*.mp4") if path.name.split("_")[0] in task_ids)
    if code != 0 or not videos:
        print(f"\nThe DAG run FAILED (airflow dags test exit code {code}): see {log}")
        return code or 1
    print(f"\nDAG run succeeded in {elapsed:.0f} s. Downloaded video(s):")
    for video in videos:
        with video.open("rb") as head:
            kind = "MP4" if head.read(8)[4:8] == b"ftyp" else "NOT an MP4"
        print(f"  {video}  ({video.stat().st_size} bytes, {kind})")
    print(
        "\nTo make real videos (they cost TopView credits), run the same DAG against TopView, from any shell,"
        f"\nwith your Topview UID and API key (TopView web app, API Settings) in place of {UID_PLACEHOLDER}"
        f" and {KEY_PLACEHOLDER}:\n\n    {real_run_command()}\n\nThe videos are written to {REAL_VIDEOS}/."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
