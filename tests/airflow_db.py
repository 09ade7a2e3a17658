"""A migrated sqlite Airflow home, made once per test run and copied for every home the tests start.

``airflow db migrate`` costs an Airflow CLI start and the whole migration history (5 s of CPU and more
wall time on a busy machine), and every deployment, and every pytest process, used to run it again for
the same empty database. The first home a test run needs is migrated for real in a template folder; every
home after that gets a copy of its ``airflow.db`` and of the ``airflow.cfg`` Airflow wrote there (its
paths moved to the new home; its generated secrets shared by the components of one home, as before).
pytest-xdist workers of one run share the template (a lock file lets one of them migrate it), which
the run removes at its end. Imports nothing of Airflow: the migration runs in Airflow's CLI.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
#: Settings the migration may read; everything else of the caller's environment is left out, so the
#: template is the same whoever makes it first (a deployment's executor or pools are not the database's).
KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")


#: Names this test run: tests/conftest.py sets it before pytest-xdist starts its workers, which inherit it.
RUN_VARIABLE = "TOPVIEW_TEST_AIRFLOW_DB"


def template_dir() -> Path:
    """This test run's template folder (shared by its xdist workers); outside pytest, this process's."""
    run = os.environ.get(RUN_VARIABLE)
    if run is None:
        run = os.environ[RUN_VARIABLE] = f"pid{os.getpid()}"
        atexit.register(shutil.rmtree, template_dir(), ignore_errors=True)
    return Path(tempfile.gettempdir()) / f"topview-airflow-db-{run}"


def start_run() -> str | None:
    """Name a new test run unless this process belongs to one (an xdist worker); returns the name set."""
    if RUN_VARIABLE in os.environ:
        return None
    os.environ[RUN_VARIABLE] = uuid.uuid4().hex
    return os.environ[RUN_VARIABLE]


def end_run() -> None:
    """Remove this run's template (by the process that named the run, once every worker is done)."""
    shutil.rmtree(template_dir(), ignore_errors=True)


def _template() -> Path:
    """The migrated template home (made here under the lock when no process of this run made it yet)."""
    folder = template_dir()
    folder.mkdir(exist_ok=True)
    home, ready = folder / "home", folder / "ready"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            env = {name: os.environ[name] for name in KEPT if name in os.environ}
            env |= {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
            with (folder / "db-migrate.log").open("wb") as log:
                done = subprocess.run(
                    [AIRFLOW, "db", "migrate"], env=env, stdout=log, stderr=log, check=False
                )
            if done.returncode != 0:
                output = (folder / "db-migrate.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"airflow db migrate failed:\n{output}")
            ready.write_text(str(home))
    return home


def migrated_home(home: Path) -> None:
    """Give ``home`` a migrated ``airflow.db``, and the template's ``airflow.cfg`` when it has none.

    A home whose ``airflow.cfg`` Airflow already wrote (this process imported Airflow with it) keeps
    that file: its generated keys are the ones this process uses. The database holds nothing encrypted
    and no path, so it fits either.
    """
    template = _template()
    home.mkdir(parents=True, exist_ok=True)
    # Copied by cp, not by this process: opening and closing a sqlite file here would drop every lock
    # this process holds on it (tests/conftest.py read_without_opening), should it have the DB open.
    subprocess.run(["cp", str(template / "airflow.db"), str(home / "airflow.db")], check=True)
    config = home / "airflow.cfg"
    if not config.exists():
        config.write_text((template / "airflow.cfg").read_text().replace(str(template), str(home)))
