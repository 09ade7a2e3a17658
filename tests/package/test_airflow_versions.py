"""What each supported Airflow reads differently from this package, checked on whichever one runs.

The connection form: Airflow 3.2+ reads ``ui-field-behaviour`` from the provider info, 3.0 and 3.1 call
the registered hook class's own ``get_ui_field_behaviour()``; both must describe the same form. The
config defaults: Airflow < 3.2 expands ``{...}`` in them unless the option is marked as a template.
The version matrix (``make matrix``) runs the test files it lists as airflow-free on the main row only:
none of them may touch Airflow, and no test of Airflow behaviour may be among them. It runs its few
main-row-only files there too: each says why one row is enough and names files that prove the Airflow
part on every row, which docs/airflow-versions.md repeats (the last tests here).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from airflow_topview.get_provider_info import get_provider_info
from airflow_topview.hooks.topview import TopviewHook

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TESTS = PROJECT_ROOT / "tests"


def test_hook_method_and_provider_info_describe_the_same_form() -> None:
    [connection] = get_provider_info()["connection-types"]
    declared = connection["ui-field-behaviour"]
    from_hook = TopviewHook.get_ui_field_behaviour()
    assert from_hook == {
        "hidden_fields": declared["hidden-fields"],
        "relabeling": declared["relabeling"],
        "placeholders": declared["placeholders"],
    }
    # Airflow < 3.2 looks only at the registered class itself, never at inherited methods.
    assert "get_ui_field_behaviour" in TopviewHook.__dict__
    assert connection["hook-class-name"] == f"{TopviewHook.__module__}.{TopviewHook.__qualname__}"


def test_the_ui_shows_the_form() -> None:
    """What the API server sends the connection page, in a fresh process (ProvidersManager is a singleton)."""
    import json
    import subprocess
    import sys

    probe = (
        "import json\n"
        "from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService\n"
        "[meta] = [h for h in HookMetaService.hook_meta_data() if h.connection_type == 'topview']\n"
        "fields = meta.standard_fields.model_dump(exclude_none=True) if meta.standard_fields else None\n"
        "print(json.dumps(fields))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    fields = json.loads(result.stdout.strip().splitlines()[-1])
    assert fields is not None, result.stderr[-2000:]
    assert fields["login"] == {
        "hidden": False,
        "title": "Topview UID",
        "placeholder": "your Topview UID (API Settings in the TopView web app)",
    }
    assert fields["password"]["title"] == "API key"
    assert fields["host"]["title"] == "API base URL"
    assert fields["port"]["hidden"]
    assert fields["url_schema"]["hidden"]


def test_config_defaults_with_braces_are_marked_as_templates() -> None:
    for section in get_provider_info()["config"].values():
        for name, option in section["options"].items():
            if "{" in str(option["default"]):
                assert option.get("is_template") is True, name


def test_airflow_config_shows_the_link_template_unexpanded(airflow_home: object) -> None:
    import subprocess
    import sys
    from pathlib import Path

    airflow = str(Path(sys.executable).with_name("airflow"))
    result = subprocess.run(
        [airflow, "config", "get-value", "topview", "task_link_template"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "https://www.topview.ai/?taskId={topview_task_id}"


# --- the version matrix's selection ---------------------------------------------------------------------

#: Where Airflow behaviour is tested (operators, sensors, triggers, hooks' connections, files, DAG runs,
#: deployments): the matrix runs every file here on every row.
AIRFLOW_BEHAVIOUR = (
    "tests/operators",
    "tests/sensors",
    "tests/triggers",
    "tests/hooks",
    "tests/files",
    "tests/hardening",
    "tests/deployment",
)
#: Files beside airflow-free ones that run DAGs, Airflow's CLI or its provider registry.
AIRFLOW_FILES = (
    "tests/package/test_airflow_versions.py",
    "tests/package/test_docs.py",
    "tests/package/test_example_dags.py",
    "tests/package/test_observability.py",
    "tests/package/test_packaging.py",
    "tests/package/test_readme_receiver.py",
    "tests/simulator/test_user_project.py",
)
AIRFLOW_FIXTURES = frozenset({"airflow_home", "dags_folder", "dag_runner", "topview_airflow"})
RUNS_AIRFLOW = re.compile(r"(^|\s)(import|from) airflow(\.|\s|$)", re.MULTILINE)


@functools.cache
def matrix_script() -> ModuleType:
    """scripts/matrix.py (no package: loaded from its path)."""
    spec = importlib.util.spec_from_file_location("topview_matrix", PROJECT_ROOT / "scripts" / "matrix.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def imported_modules(path: Path, *, when_imported: bool) -> list[str]:
    """The absolute names a file imports: anywhere in it, or only what runs when it is imported."""
    package = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if when_imported and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if when_imported and isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for statement in child.orelse:
                    visit(ast.Module(body=[statement], type_ignores=[]))
                continue
            if isinstance(child, ast.Import):
                names.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                names.append(base)
                names.extend(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return names


def airflow_on_import(name: str, seen: set[str]) -> list[str]:
    """How importing one of this project's modules imports Airflow (``[]``: it does not)."""
    base = PROJECT_ROOT.joinpath(*name.split("."))
    files = [file for file in (base.with_suffix(".py"), base / "__init__.py") if file.is_file()]
    if name in seen or not files:
        return []
    seen.add(name)
    for imported in imported_modules(files[0], when_imported=True):
        if imported == "airflow" or imported.startswith("airflow."):
            return [name, imported]
        parts = imported.split(".")
        for end in range(1, len(parts) + 1):
            if chain := airflow_on_import(".".join(parts[:end]), seen):
                return [name, *chain]
    return []


def touches_airflow(path: Path) -> list[str]:
    """What in a test file (or a conftest.py it runs under) reaches Airflow."""
    found = []
    for imported in imported_modules(path, when_imported=False):
        if imported == "airflow" or imported.startswith("airflow."):
            found.append(f"imports {imported}")
        elif imported.split(".")[0] in {"airflow_topview", "tests"} and (
            chain := airflow_on_import(imported, set())
        ):
            found.append("imports " + " > ".join(chain))
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = {argument.arg for argument in [*node.args.args, *node.args.kwonlyargs]}
            found.extend(f"{node.name} uses the {name} fixture" for name in arguments & AIRFLOW_FIXTURES)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value == "airflow" or RUNS_AIRFLOW.search(node.value))  # its CLI, or code run elsewhere
        ):
            found.append(f"line {node.lineno} runs Airflow: {node.value.strip()[:50]!r}")
    return sorted(set(found))


def test_the_matrix_leaves_out_no_test_of_airflow_behaviour() -> None:
    free = matrix_script().AIRFLOW_FREE
    assert len(set(free)) == len(free)
    for path in free:
        assert re.fullmatch(r"tests/(\w+/)+test_\w+\.py", path), f"{path}: list test files, not directories"
        assert (PROJECT_ROOT / path).is_file(), f"{path}: gone; remove it from AIRFLOW_FREE"
        assert not path.startswith(tuple(f"{directory}/" for directory in AIRFLOW_BEHAVIOUR)), path
        assert path not in AIRFLOW_FILES
    for directory in AIRFLOW_BEHAVIOUR:  # still holding tests: the check above means something
        assert sorted((PROJECT_ROOT / directory).glob("test_*.py")), directory


def test_airflow_free_files_never_touch_airflow() -> None:
    problems = {}
    for path in matrix_script().AIRFLOW_FREE:
        file = PROJECT_ROOT / path
        # tests/conftest.py is shared by every test; the conftest.py files below it are the file's own.
        folders = [folder for folder in file.parents if folder.is_relative_to(TESTS) and folder != TESTS]
        for checked in [file, *(folder / "conftest.py" for folder in folders)]:
            if not checked.is_file():
                continue
            if found := touches_airflow(checked):
                problems[f"{path} ({checked.name})"] = found
    assert problems == {}


def test_the_airflow_check_finds_airflow() -> None:
    """The check above, on files that do touch Airflow in each of the ways it looks for."""
    assert touches_airflow(TESTS / "unit/test_input_edges.py")  # imports Airflow
    assert touches_airflow(TESTS / "unit/test_task_types.py")  # imports the trigger module
    assert touches_airflow(TESTS / "hardening/test_load.py")  # runs a DAG (dag_runner)
    assert touches_airflow(TESTS / "simulator/test_user_project.py")  # a DAG file's code, run by Airflow
    assert touches_airflow(TESTS / "package/test_docs.py")  # Airflow's CLI parser, in a subprocess


def test_main_row_only_files_say_why_and_where_else_it_is_proven() -> None:
    """MAIN_ROW_ONLY: few files, each with its reason, and files that prove the Airflow part on every row."""
    script = matrix_script()
    only, free = script.MAIN_ROW_ONLY, set(script.AIRFLOW_FREE)
    assert 0 < len(only) <= 8, "a row that leaves out much proves little: keep MAIN_ROW_ONLY short"
    for path, (why, proven_by) in only.items():
        assert re.fullmatch(r"tests/(\w+/)+test_\w+\.py", path), f"{path}: list test files, not directories"
        assert (PROJECT_ROOT / path).is_file(), f"{path}: gone; remove it from MAIN_ROW_ONLY"
        assert path not in free, path
        assert not path.startswith("tests/deployment/"), f"{path}: deployment tests are not in a row's suite"
        assert len(why.split()) >= 8, f"{path}: say why one row is enough"
        assert proven_by, f"{path}: name the files that prove on every row what in it depends on Airflow"
        for other in proven_by:
            assert (PROJECT_ROOT / other).is_file(), f"{path}: {other} is gone"
            assert other not in {*only, *free}, f"{path}: {other} does not run on every row"
            assert touches_airflow(PROJECT_ROOT / other), f"{path}: {other} does not run Airflow"


def test_every_other_row_leaves_out_exactly_the_listed_files() -> None:
    script = matrix_script()
    for row in script.ROWS:
        expected = set(script.AIRFLOW_FREE) | (set() if row.main_venv else set(script.MAIN_ROW_ONLY))
        assert set(script.left_out(row)) == expected, row.version


def test_the_docs_give_each_main_row_only_file_its_reason() -> None:
    """docs/airflow-versions.md's table of main-row-only files is MAIN_ROW_ONLY, reasons and all."""
    text = (PROJECT_ROOT / "docs" / "airflow-versions.md").read_text()
    rows = re.findall(r"^\| `(tests/[\w/]+\.py)` \| (.+?) \| (.+?) \|$", text, re.MULTILINE)
    documented = {path: (why, re.findall(r"`(tests/[\w/]+\.py)`", proven)) for path, why, proven in rows}
    expected = {path: (why, list(proven)) for path, (why, proven) in matrix_script().MAIN_ROW_ONLY.items()}
    assert documented == expected


def test_the_longest_first_files_exist() -> None:
    """tests/conftest.py LONGEST_FIRST orders xdist's hand-out; a file gone from it would order nothing."""
    from tests.conftest import LONGEST_FIRST

    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    for path in LONGEST_FIRST:
        assert (PROJECT_ROOT / path).is_file(), f"{path}: gone; remove it from LONGEST_FIRST"
