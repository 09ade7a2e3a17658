"""What each supported Airflow reads differently from this package, checked on whichever one runs.

The connection form: Airflow 3.2+ reads ``ui-field-behaviour`` from the provider info, 3.0 and 3.1 call
the registered hook class's own ``get_ui_field_behaviour()``; both must describe the same form. The
config defaults: Airflow < 3.2 expands ``{...}`` in them unless the option is marked as a template.
"""

from __future__ import annotations

from airflow_topview.get_provider_info import get_provider_info
from airflow_topview.hooks.topview import TopviewHook


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
