"""`make demo`: run an example DAG end to end with `airflow dags test` against the bundled simulator.

The DAG is the one a user runs against the real TopView API; only the connection differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airflow_topview.testing import TopviewSimulator

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / ".demo"
DAG_ID = "example_topview_submit"
UID, API_KEY = "demo-uid", "sk-demo-key"


def airflow(args: list[str], env: dict[str, str], log: Path) -> int:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    with log.open("w") as out:
        return subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode


def main() -> int:
    airflow_home = DEMO_DIR / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    if not (airflow_home / "airflow.db").exists():
        print(f"Creating the Airflow metadata DB in {airflow_home} (airflow db migrate) ...")
        if airflow(["db", "migrate"], env, DEMO_DIR / "db-migrate.log") != 0:
            print(f"airflow db migrate failed: see {DEMO_DIR / 'db-migrate.log'}")
            return 1

    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=2.0) as sim:
        print(f"TopView simulator listening on {sim.base_url}")
        env["AIRFLOW_CONN_TOPVIEW_DEFAULT"] = json.dumps(
            {"conn_type": "topview", "login": UID, "password": API_KEY, "host": sim.base_url}
        )
        image_id = sim.add_file("png")
        conf = {"first_frame_file_id": image_id, "prompt": "A paper boat drifting on a pond at dawn"}
        log = DEMO_DIR / "dags-test.log"
        print(f"Running: airflow dags test {DAG_ID} (log: {log})")
        code = airflow(["dags", "test", DAG_ID, "-c", json.dumps(conf)], env, log)

        print("\nWhat crossed the wire:")
        for entry in sim.journal:
            body = f" {json.dumps(entry.json)}" if entry.json else ""
            print(f"  {entry.method} {entry.path} -> {entry.status} code={entry.code}{body}")
        for task_id, task in sim.tasks.items():
            print(f"TopView task {task_id}: {task.status}")
    print(f"\nDAG run {'succeeded' if code == 0 else 'FAILED'} (airflow dags test exit code {code}).")
    return code


if __name__ == "__main__":
    sys.exit(main())
