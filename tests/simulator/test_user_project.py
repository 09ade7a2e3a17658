"""A user's fresh project: its own DAG folder, the documented test, ``pytest`` run as a subprocess.

Nothing of this repository's test setup is used: the plugin alone must give an Airflow home with a
migrated database and a DAG runner (the ``topview_airflow`` fixture).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

USER_DAG = """
from airflow.sdk import DAG
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

with DAG("my_video", schedule=None):
    submit = SubmitImageToVideoOperator(
        task_id="submit", model="Kling V3", first_frame_file_id="{{ dag_run.conf['image'] }}", duration=5
    )
    ImageToVideoSensor(task_id="wait", topview_task_id=submit.output, poke_interval=1, timeout=60)
"""


ROOT = Path(__file__).resolve().parents[2]
DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def doc_snippet(name: str) -> str:
    """The Python block after ``<!-- snippet: NAME -->`` in README.md or a page under docs/."""
    pattern = rf"<!-- snippet: {re.escape(name)} -->\n```python\n(.*?)```"
    found = [m.group(1) for page in DOC_PAGES for m in re.finditer(pattern, page.read_text(), re.DOTALL)]
    assert len(found) == 1, f"snippet {name!r} appears {len(found)} times in README.md and docs/ (want once)"
    return found[0]


#: What docs/testing.md tells a project to add to load the plugin (before its ``topview_dags`` line).
PYPROJECT = '[tool.pytest.ini_options]\naddopts = "-p airflow_topview.testing.pytest_plugin"\n'


def test_the_plugin_loads_only_where_a_project_asks_for_it(tmp_path: Path) -> None:
    """Installing the provider adds no fixture, option or Airflow home to another project's tests."""
    (tmp_path / "test_other.py").write_text(
        "import os\n\n"
        "def test_untouched(request):\n"
        "    assert 'topview_simulator' not in request.fixturenames\n"
        "    plugins = request.config.pluginmanager\n"
        "    assert plugins.get_plugin('airflow_topview.testing.pytest_plugin') is None\n"
        "    assert 'AIRFLOW_HOME' not in os.environ\n"
        "\n"
        "def test_no_fixture(topview_simulator):\n"
        "    pass\n"
    )
    run = run_pytest(tmp_path, "test_other.py", timeout=120)
    assert "1 passed, 1 error" in run.stdout, run.stdout[-3000:]
    assert "fixture 'topview_simulator' not found" in run.stdout
    documented = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text()
    assert PYPROJECT.splitlines()[1] in documented


def run_pytest(project: Path, test_file: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``pytest`` in a user's project, with none of this repository's Airflow settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_readme_dag_test_runs_in_a_fresh_project(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "my_video.py").write_text(USER_DAG)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + 'topview_dags = "dags"\n')
    (tmp_path / "test_my_video.py").write_text(doc_snippet("user-dag-test"))
    run = run_pytest(tmp_path, "test_my_video.py", timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "1 passed" in run.stdout


def test_topview_airflow_without_a_dags_folder_says_how_to_set_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "test_user.py").write_text("def test_it(topview_airflow):\n    pass\n")
    run = run_pytest(tmp_path, "test_user.py", timeout=120)
    assert run.returncode == 1
    assert 'topview_dags = "dags"' in run.stdout


SNIPPET_TEST = """
import functools
import http.server
import threading
from pathlib import Path

ASSETS = Path({assets!r})


def test_make_a_video(topview_connection, topview_airflow):
    sim = topview_connection
    image = sim.add_file("png")
    result = topview_airflow.run("make_a_video", conf={{"image": image}})
    assert result.state == "success", result.log[-3000:]
    [submit] = sim.requests_to("submit")
    assert submit.json["firstFrameFileId"] == image
    assert submit.json["model"] == "Seedance 1.5 Pro"
    assert result.xcom("wait")["status"] == "success"


def test_references_to_video(topview_connection, topview_airflow):
    sim = topview_connection
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ASSETS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", {port}), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = topview_airflow.run("references_to_video")
    finally:
        server.shutdown()
    assert result.state == "success", result.log[-3000:]
    [submit] = sim.requests_to("submit")
    assert len(submit.json["referenceImageFileIds"]) == 3
    assert submit.json["model"] == "Kling V3 Reference Video"
    [written] = result.xcom("download")
    assert Path(written).parent == Path({videos!r})
    assert Path(written).stat().st_size > 0
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_readme_dag_snippets_run_in_a_fresh_project(tmp_path: Path) -> None:
    """The DAGs of README.md and docs/files.md, as printed; only their paths and URL point at local files."""
    assets = ROOT / "dags" / "assets"
    port, videos = free_port(), tmp_path / "videos"
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "make_a_video.py").write_text(doc_snippet("make-a-video"))
    references = doc_snippet("references-to-video")
    for printed, local in (
        ("/data/a.png", str(assets / "fox.png")),
        ("https://example.com/b.jpg", f"http://127.0.0.1:{port}/meadow.jpg"),
        ("s3://aws_default@bucket/c.webp", f"file://{assets / 'paper_boat.png'}"),
        ("/data/videos", str(videos)),
    ):
        assert printed in references
        references = references.replace(printed, local)
    (dags / "references_to_video.py").write_text(references)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + 'topview_dags = "dags"\n')
    (tmp_path / "test_snippets.py").write_text(
        SNIPPET_TEST.format(assets=str(assets), port=port, videos=str(videos))
    )
    run = run_pytest(tmp_path, "test_snippets.py", timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "2 passed" in run.stdout
