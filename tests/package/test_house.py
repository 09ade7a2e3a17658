"""The package's house rules: no import circles, and no module importing from a higher floor.

Read from the sources (ast), so a rule broken anywhere fails here, whether or not a test imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_topview"

#: Floors, lowest first: a module imports (at run time) only from its own floor or below.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("exceptions", "metrics", "file_rules", "client.input_rules", "client.redaction"),
    ("client", "settings", "links", "catalog", "get_provider_info"),
    ("lineage", "waiting", "deferral", "submit"),
    ("hooks",),
    ("triggers",),
    ("sensors", "operators", "task_outcome"),
    ("testing",),
)


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imports(path: Path, name: str, known: dict[str, Path]) -> Iterator[tuple[str, bool]]:
    """(imported module, at run time) for each import of the package's modules in ``path``."""
    tree = ast.parse(path.read_text())
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1] if package else []
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            elif base.startswith("airflow_topview"):
                base = base.removeprefix("airflow_topview").lstrip(".")
            else:
                continue
            submodules = [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
            targets = [sub for sub in submodules if sub in known] or [base]
        elif isinstance(node, ast.Import):
            targets = [
                alias.name.removeprefix("airflow_topview").lstrip(".")
                for alias in node.names
                if alias.name.startswith("airflow_topview.")
            ]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target, id(node) not in typing_only


def graph(runtime_only: bool) -> dict[str, set[str]]:
    known = module_names()
    return {
        name: {target for target, runtime in imports(path, name, known) if runtime or not runtime_only}
        for name, path in known.items()
    }


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def floor_of(name: str) -> int:
    if not name:  # the package itself (its __init__ holds only the version)
        return 0
    best: tuple[int, int] | None = None  # (prefix length, floor): the longest matching prefix wins
    for level, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            matches = name == prefix or name.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), level)
    assert best is not None, f"airflow_topview.{name} is on no floor: add it to FLOORS"
    return best[1]


def test_no_import_circles_even_for_type_checking() -> None:
    assert circles(graph(runtime_only=False)) == []


def test_no_module_imports_from_a_higher_floor() -> None:
    upward = sorted(
        f"{name} (floor {floor_of(name)}) imports {target} (floor {floor_of(target)})"
        for name, targets in graph(runtime_only=True).items()
        if name
        for target in targets
        if floor_of(target) > floor_of(name)
    )
    assert upward == []


def test_the_rules_see_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert floor_of("client.request") == 1
    assert floor_of("client.redaction") == 0


def test_only_the_outcome_boundary_fails_tasks() -> None:
    """Helpers raise provider errors; ``AirflowFailException`` is named in task_outcome.py alone."""
    naming = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "AirflowFailException" in path.read_text() and path.name != "task_outcome.py"
    )
    assert naming == []


def test_exceptions_import_nothing() -> None:
    tree = ast.parse((PACKAGE / "exceptions.py").read_text())
    imported = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [ast.unparse(node) for node in imported] == ["from __future__ import annotations"]


def test_no_module_is_over_330_lines() -> None:
    """One job per module (about 300 lines at most)."""
    long = sorted(
        f"{path.relative_to(PACKAGE)}: {lines} lines"
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 330
    )
    assert long == []
