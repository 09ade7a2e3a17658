"""The ``topview`` connection form, as each supported Airflow reads it.

Airflow 3.2+ reads ``ui-field-behaviour`` from the provider info; 3.0 and 3.1 call the registered hook
class's own ``get_ui_field_behaviour()``. Both must describe the same form.
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
    """What the API server sends the connection page (3.0 needs the FAB provider installed for it)."""
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    [meta] = [hook for hook in HookMetaService.hook_meta_data() if hook.connection_type == "topview"]
    assert meta.standard_fields is not None
    fields = meta.standard_fields.model_dump(exclude_none=True)
    assert fields["login"] == {
        "hidden": False,
        "title": "Topview UID",
        "placeholder": "your Topview UID (API Settings in the TopView web app)",
    }
    assert fields["password"]["title"] == "API key"
    assert fields["host"]["title"] == "API base URL"
    assert fields["port"]["hidden"] and fields["url_schema"]["hidden"]
