"""Quick checks one matrix row runs in its own interpreter before the test suite.

``imports``: every module of airflow_topview imports on this Airflow (a name missing from an older
Airflow fails here, at import, rather than at DAG parse on a user's machine).
``registration``: Airflow's ProvidersManager registers the provider, its ``topview`` hook and connection
type, and the connection page gets the form fields (run in a fresh process: ProvidersManager is a
singleton). Prints one line and exits non-zero when a check fails.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

FORM = {"login": "Topview UID", "password": "API key", "host": "API base URL"}


def check_imports() -> str:
    import airflow_topview

    names = [info.name for info in pkgutil.walk_packages(airflow_topview.__path__, "airflow_topview.")]
    names = ["airflow_topview", *(name for name in names if not name.endswith("__main__"))]
    for name in names:
        importlib.import_module(name)
    return f"{len(names)} modules"


def check_registration() -> str:
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
    from airflow.providers_manager import ProvidersManager

    # The connection page's view first: on Airflow < 3.2, reading ProvidersManager.hooks before it
    # initialises the hooks without their form fields (as the API server never does).
    [meta] = [meta for meta in HookMetaService.hook_meta_data() if meta.connection_type == "topview"]
    manager = ProvidersManager()  # type: ignore[no-untyped-call]
    assert "airflow-provider-topview" in manager.providers, "provider not registered"
    hook = manager.hooks["topview"]
    assert hook is not None, "no hook for connection type topview"
    assert hook.hook_class_name == "airflow_topview.hooks.topview.TopviewHook", hook.hook_class_name
    assert meta.standard_fields is not None, "the connection page gets no form for topview"
    fields = meta.standard_fields.model_dump(exclude_none=True)
    titles = {name: fields[name].get("title") for name in FORM}
    assert titles == FORM, titles
    assert fields["port"]["hidden"], fields["port"]
    return "provider, hook, connection form"


CHECKS = {"imports": check_imports, "registration": check_registration}


def main(argv: list[str]) -> int:
    [name] = argv
    try:
        detail = CHECKS[name]()
    except Exception:
        print(f"{name}: FAILED\n{traceback.format_exc()}")
        return 1
    print(f"{name}: ok ({detail})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
