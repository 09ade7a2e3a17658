"""The docs build, and every code block in README.md and docs/ is one a test runs.

Python on the pages is either included from an example DAG (``literalinclude`` between
``# [START howto_topview_...]`` and ``# [END ...]`` markers) or follows a ``<!-- snippet: NAME -->`` marker
that a test file reads by name (``doc_snippet("NAME")``) and runs.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

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
