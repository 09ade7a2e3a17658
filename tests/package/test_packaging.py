"""The package as Airflow sees it: provider registration, connection form, parse-time cost, DAG files."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_topview.get_provider_info import get_provider_info
from tests.conftest import AIRFLOW_READS_PROVIDER_FORMS, AIRFLOW_VERSION

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def test_provider_info_matches_distribution() -> None:
    from importlib.metadata import entry_points

    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-topview"
    [entry] = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_topview")
    ]
    assert entry.load() is get_provider_info


def test_providers_manager_sees_the_hook() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-topview" in manager.providers
    hook_info = manager.hooks["topview"]
    assert hook_info is not None
    assert hook_info.hook_class_name == "airflow_topview.hooks.topview.TopviewHook"


@pytest.mark.skipif(
    not AIRFLOW_READS_PROVIDER_FORMS,
    reason=f"Airflow {AIRFLOW_VERSION} fills ProvidersManager.field_behaviours only with flask_appbuilder "
    "installed (3.2+ reads the provider info); the form the connection page shows is tested in "
    "tests/package/test_airflow_versions.py::test_the_ui_shows_the_form",
)
def test_providers_manager_sees_the_connection_form() -> None:
    from airflow.providers_manager import ProvidersManager

    behaviour = ProvidersManager().field_behaviours["topview"]
    assert behaviour["relabeling"] == {"login": "Topview UID", "password": "API key", "host": "API base URL"}
    assert {"schema", "port", "extra"} <= set(behaviour["hidden_fields"])


def test_airflow_cli_lists_the_provider(airflow_home: Path) -> None:
    result = subprocess.run(
        [AIRFLOW, "providers", "list", "--output", "json"], capture_output=True, text=True, check=True
    )
    start = result.stdout.index("[")
    providers = {row["package_name"]: row for row in json.loads(result.stdout[start:])}
    from importlib.metadata import version

    from airflow_topview import __version__

    assert (
        providers["airflow-provider-topview"]["version"] == __version__ == version("airflow-provider-topview")
    )


def test_provider_config_is_declared(airflow_home: Path, tmp_path: Path) -> None:
    """``airflow config get-value topview ...`` knows the options, their defaults and their env overrides."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__TOPVIEW__")}

    def get(option: str, **extra: str) -> str:
        result = subprocess.run(
            [AIRFLOW, "config", "get-value", "topview", option],
            capture_output=True,
            text=True,
            env={**env, **extra},
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    assert get("min_poll_interval") == "1.0"
    assert get("models_file") == ""
    models = str(tmp_path / "models.json")
    assert get("models_file", AIRFLOW__TOPVIEW__MODELS_FILE=models) == models
    options = get_provider_info()["config"]["topview"]["options"]
    assert all(option["description"] and option["version_added"] for option in options.values())


def listed_modules(*kinds: str) -> list[str]:
    """The modules the provider info lists under these kinds (``operators``, ``sensors``, ...)."""
    info = get_provider_info()
    return [module for kind in kinds for entry in info[kind] for module in entry["python-modules"]]


@pytest.mark.parametrize(("package", "kind"), [("operators", "operators"), ("sensors", "sensors")])
def test_provider_info_lists_every_module_with_an_operator(package: str, kind: str) -> None:
    """Airflow's provider manager shows the modules listed: every one defining an operator is."""
    import importlib
    import inspect
    import pkgutil

    from airflow.sdk import BaseOperator

    parent = importlib.import_module(f"airflow_topview.{package}")
    defining = set()
    for found in pkgutil.iter_modules(parent.__path__):
        name = f"{parent.__name__}.{found.name}"
        module = importlib.import_module(name)
        classes = [value for value in vars(module).values() if inspect.isclass(value)]
        if any(issubclass(cls, BaseOperator) and cls.__module__ == name for cls in classes):
            defining.add(name)
    assert defining
    assert sorted(listed_modules(kind)) == sorted(defining)


#: Imports every listed module from the same baseline, each in a child forked from one interpreter that
#: holds only the baseline: what every operator module brings in through Airflow itself, the base classes
#: (on Airflow 3.4 BaseOperator's own imports pull pydantic.type_adapter) and the config. One interpreter
#: start for all of them instead of one each; a child sees nothing an earlier child imported.
IMPORT_PROBE = """
import json, os, sys, airflow.sdk
from airflow.sdk import BaseOperator, BaseOperatorLink, BaseSensorOperator
from airflow.providers.common.compat.sdk import conf
conf.getboolean('operators', 'default_deferrable', fallback=False)
before = set(sys.modules)
for module in sys.argv[1:]:
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        __import__(module)
        print(json.dumps([module, sorted(set(sys.modules) - before)]), flush=True)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, module
"""


@functools.cache
def added_by_import(modules: tuple[str, ...]) -> dict[str, list[str]]:
    """Module -> the modules importing it added to the baseline (``IMPORT_PROBE``, one run for all)."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, *modules], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    found = dict(json.loads(line) for line in result.stdout.splitlines() if line.startswith("["))
    assert sorted(found) == sorted(modules)
    return found


@pytest.mark.parametrize("module", listed_modules("operators", "sensors"))
def test_operator_modules_import_nothing_heavy(module: str) -> None:
    listed = tuple(listed_modules("operators", "sensors"))
    added = added_by_import(listed if module in listed else (module,))[module]
    assert module in added  # the child really imported it, from the baseline
    heavy = [
        name
        for name in added
        if name.split(".")[0] in {"requests", "aiohttp", "pydantic", "urllib3", "tenacity"}
        or name.startswith(
            ("airflow_topview.hooks.topview", "airflow_topview.client.request", "airflow.providers.http")
        )
    ]
    assert heavy == []


def test_dag_files_import_cleanly(dags_folder: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[2] / "dags"))
    assert bag.import_errors == {}
    assert "example_topview_submit" in bag.dags
