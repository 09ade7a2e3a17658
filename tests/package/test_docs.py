"""The docs build, and every code block in README.md and docs/ is one a test runs.

Python on the pages is either included from an example DAG (``literalinclude`` between
``# [START howto_topview_...]`` and ``# [END ...]`` markers) or follows a ``<!-- snippet: NAME -->`` marker
that a test file reads by name (``doc_snippet("NAME")``) and runs. The rules docs/task-types.md states that
the DAG tests do not reach are checked here too.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.testing import TopviewSimulator

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"

FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```$", re.M | re.S)
SNIPPET_MARKER = re.compile(r"<!-- snippet: (?P<name>[\w-]+) -->\n$")


def fences(page: Path) -> list[tuple[str, str, str]]:
    """(info string, body, text before the fence) of every fenced block of a page."""
    text = page.read_text()
    return [(m.group("info").strip(), m.group("body"), text[: m.start()]) for m in FENCE.finditer(text)]


def literalincludes(page: Path) -> list[dict[str, str]]:
    """The target and options of every ``{literalinclude}`` block of a page."""
    found = []
    for info, body, _ in fences(page):
        if info.startswith("{literalinclude}"):
            options = dict(re.findall(r"^:([\w-]+):\s*(.*)$", body, re.M))
            found.append({"target": info.split(None, 1)[1].strip(), **options})
    return found


def snippet_tests() -> str:
    """The text of every test file that could run a snippet (this one only checks them)."""
    files = (path for path in (ROOT / "tests").rglob("*.py") if path.name != "test_docs.py")
    return "\n".join(path.read_text() for path in files)


def test_every_page_is_in_the_toctree() -> None:
    index = (DOCS / "index.md").read_text()
    listed = {
        line.strip()
        for block in re.findall(r"```\{toctree\}\n(.*?)```", index, re.S)
        for line in block.splitlines()
        if line.strip() and not line.startswith(":")
    }
    assert listed == {page.stem for page in PAGES} - {"index"}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_literalinclude_markers_exist_in_their_dag(page: Path) -> None:
    for include in literalincludes(page):
        target = (DOCS / include["target"]).resolve()
        assert target.parent == ROOT / "dags", f"{page.name} includes {target}, not an example DAG"
        source = target.read_text()
        start, end = (include[option].strip('"') for option in ("start-after", "end-before"))
        assert re.fullmatch(r"\[START howto_topview_\w+\]", start), f"{page.name}: start marker {start!r}"
        assert end == start.replace("[START", "[END"), f"{page.name}: {start!r} ends at {end!r}"
        assert f"# {start}\n" in source, f"{target.name} has no {start!r}"
        assert f"# {end}\n" in source, f"{target.name} has no {end!r}"
        assert source.index(f"# {start}\n") < source.index(f"# {end}\n")


def test_every_python_block_is_included_from_a_dag_or_a_snippet_a_test_runs() -> None:
    tests = snippet_tests()
    names: list[str] = []
    for page in [README, *PAGES]:
        for info, _, before in fences(page):
            if info.split()[:1] not in (["python"], ["py"], ["python3"]):
                continue
            marker = SNIPPET_MARKER.search(before)
            assert marker, f"{page.name}: a Python block neither included from dags/ nor a named snippet"
            names.append(marker.group("name"))
            assert re.search(rf"snippet\(\s*\"{re.escape(marker.group('name'))}\"", tests), (
                f"{page.name}: no test runs the snippet {marker.group('name')!r}"
            )
    assert len(names) == len(set(names)), f"snippet names used twice: {names}"


def test_the_pool_command_is_the_example_dags() -> None:
    """``tests/deployment/test_pool.py`` creates the pool with this command in a real deployment."""
    example = (ROOT / "dags" / "example_topview_pool.py").read_text()
    match = re.search(r"^\s+(airflow pools set topview \d+ \"[^\"]+\" --include-deferred)$", example, re.M)
    assert match
    assert f"\n{match.group(1)}\n" in (DOCS / "waiting-at-scale.md").read_text()


def test_the_airflow_commands_for_journal_copies_parse() -> None:
    """docs/airflow-versions.md's ``airflow variables`` commands, checked by Airflow's own CLI parser."""
    commands = []
    for info, body, _ in fences(DOCS / "airflow-versions.md"):
        for line in body.splitlines():
            if info == "bash" and line.startswith("airflow variables "):
                command = line.split("|")[0].split("#")[0]
                commands.append(shlex.split(command.replace("<digest>", "0123abcd"))[1:])
    assert {command[1] for command in commands} == {"list", "get", "delete"}
    script = (
        "import json, sys\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "for words in json.loads(sys.argv[1]):\n"
        "    get_parser().parse_args(words)  # exits 2 on an unknown command, option or choice\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    """What ``make docs`` runs: every warning (a broken link or anchor, a missing marker) fails it."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    for page in PAGES:
        assert (tmp_path / f"{page.stem}.html").is_file()


# --- docs/task-types.md: what the DAG tests (tests/operators/test_family_operators.py) do not reach -----


def omni_body(**params: Any) -> dict[str, Any]:
    from airflow_topview.client.task_types import OMNI_REFERENCE

    return OMNI_REFERENCE.build_request(params).to_body()


def test_omni_reference_inputs_take_the_shapes_the_page_names() -> None:
    sent = [{"fileId": "f1", "name": "Hero"}, {"fileId": "f2", "name": "Can"}]
    shapes = [
        [{"file_id": "f1", "name": "Hero"}, {"file_id": "f2", "name": "Can"}],
        [{"fileId": "f1", "name": "Hero"}, {"fileId": "f2", "name": "Can"}],
        {"Hero": "f1", "Can": "f2"},
        '{"Hero": "f1", "Can": "f2"}',
        "{'Hero': 'f1', 'Can': 'f2'}",
        '[{"file_id": "f1", "name": "Hero"}, {"file_id": "f2", "name": "Can"}]',
    ]
    for shape in shapes:
        body = omni_body(prompt="<<<Hero>>> opens <<<Can>>>", input_images=shape)
        assert body["inputImages"] == sent, shape
        body = omni_body(prompt="<<<Hero>>> opens <<<Can>>>", input_videos=shape)
        assert body["inputVideos"] == sent, shape
    body = omni_body(prompt="<<<Hero>>> waves", input_images={"Hero": "f1"}, internet_search=False)
    assert body == {"model": "Standard", "prompt": "<<<Hero>>> waves", "inputImages": [sent[0]]}
    assert omni_body(prompt="x", internet_search=True)["internetSearch"] is True


OMNI_REFUSED = {
    "no input named": ({"prompt": "<<<Villain>>> waves", "input_images": {"Hero": "f1"}}, "names no input"),
    "a name twice": (
        {"prompt": "x", "input_images": {"Hero": "f1"}, "input_videos": {"Hero": "v1"}},
        "the name 'Hero' is used twice",
    ),
    "10 images": (
        {"prompt": "x", "input_images": {f"Image{n}": f"f{n}" for n in range(10)}},
        "input_images: TopView takes at most 9 images, got 10",
    ),
    "4 videos": (
        {"prompt": "x", "input_videos": {f"Video{n}": f"v{n}" for n in range(4)}},
        "input_videos: TopView takes at most 3 videos, got 4",
    ),
    "a space": ({"prompt": "x", "input_images": {"My hero": "f1"}}, "without spaces"),
    "angle brackets": ({"prompt": "x", "input_images": {"<Hero>": "f1"}}, "without spaces or '<' '>'"),
    "65 characters": ({"prompt": "x", "input_images": {"H" * 65: "f1"}}, "at most 64 characters"),
}


@pytest.mark.parametrize(("params", "message"), OMNI_REFUSED.values(), ids=OMNI_REFUSED.keys())
def test_omni_reference_inputs_the_page_says_are_refused(params: dict[str, Any], message: str) -> None:
    from airflow_topview.exceptions import RequestValidationError

    with pytest.raises(RequestValidationError, match=re.escape(message)):
        omni_body(**params)


@pytest.mark.parametrize(("given", "read"), [(None, "image2video"), ("text2video", "text2video")])
def test_a_sensor_starting_in_the_triggerer_waits_at_the_type_it_is_given(
    given: str | None, read: str
) -> None:
    from airflow_topview.sensors.image_to_video import ImageToVideoSensor

    sensor = ImageToVideoSensor(
        task_id="wait",
        topview_task_id="{{ dag_run.conf['topview_task_id'] }}",
        topview_task_type=given,
        deferrable=True,
        start_from_trigger=True,
    )
    assert sensor.start_trigger_args is not None
    assert (sensor.start_trigger_args.trigger_kwargs or {})["task_type"] == read


def test_a_download_asks_its_task_types_endpoint_for_fresh_urls(
    topview_connection: TopviewSimulator, tmp_path: Path
) -> None:
    from airflow_topview.client.task_types import OMNI_REFERENCE
    from airflow_topview.hooks.topview import TopviewHook

    sim = topview_connection
    hook = TopviewHook("topview_default", retry_limit=2, retry_delay=0.01, timeout=5)
    try:
        request = OMNI_REFERENCE.build_request({"prompt": "a fox"})
        task = hook.get_task(OMNI_REFERENCE, hook.submit_task(OMNI_REFERENCE, request).task_id)
        sim.expire_urls()
        [path] = hook.download_videos(task, str(tmp_path), task_type=OMNI_REFERENCE)
    finally:
        hook.close()
    assert Path(path).read_bytes()[4:8] == b"ftyp"
    assert [(entry.endpoint, entry.status) for entry in sim.journal] == [
        ("omni_reference_submit", 200),
        ("omni_reference_query", 200),
        ("download", 403),
        ("omni_reference_query", 200),
        ("download", 200),
    ]


def test_an_omni_reference_submits_lineage_names_its_inputs_and_its_task_type() -> None:
    """docs/observability.md: the TopView task's dataset is named by its task type."""
    from airflow_topview.client.task_types import OMNI_REFERENCE, TEXT_TO_VIDEO
    from airflow_topview.lineage import submit_datasets

    request = OMNI_REFERENCE.build_request(
        {"prompt": "<<<Hero>>> in <<<Clip>>>", "input_images": {"Hero": "f1"}, "input_videos": {"Clip": "v1"}}
    )
    inputs, outputs = submit_datasets("https://api.topview.ai", request, "t1", OMNI_REFERENCE.key)
    assert [name for _, name in inputs] == ["file/f1", "file/v1"]
    assert [name for _, name in outputs] == ["omni_reference/task/t1"]
    text = TEXT_TO_VIDEO.build_request({"prompt": "a fox"})
    assert submit_datasets("https://api.topview.ai", text, "t2", TEXT_TO_VIDEO.key) == (
        [],
        [(inputs[0][0], "text2video/task/t2")],
    )
