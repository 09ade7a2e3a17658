"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

import copy
from typing import Any

from airflow_topview import __version__

INTEGRATION = "TopView"

#: The ``topview`` connection form. Airflow 3.2+ reads it from the provider info (``ui-field-behaviour``);
#: older versions call the hook's ``get_ui_field_behaviour()``, which returns it through
#: :func:`hook_field_behaviour`.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "extra"],
    "relabeling": {"login": "Topview UID", "password": "API key", "host": "API base URL"},
    "placeholders": {
        "login": "your Topview UID (API Settings in the TopView web app)",
        "password": "sk-...",
        "host": "https://api.topview.ai",
    },
}


def hook_field_behaviour() -> dict[str, Any]:
    """:data:`UI_FIELD_BEHAVIOUR` as a hook's ``get_ui_field_behaviour()`` returns it (``hidden_fields``)."""
    return {key.replace("-", "_"): copy.deepcopy(value) for key, value in UI_FIELD_BEHAVIOUR.items()}


def get_provider_info() -> dict[str, Any]:
    """Describe the package, its modules and the ``topview`` connection form."""
    return {
        "package-name": "airflow-provider-topview",
        "name": "TopView",
        "description": (
            "`TopView <https://www.topview.ai/>`__ AI video generation: Image-to-Video V2, Text-to-Video "
            "and Omni Reference."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://docs.topview.ai/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": ["airflow_topview.hooks.topview"]}],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_topview.operators.image_to_video",
                    "airflow_topview.operators.text_to_video",
                    "airflow_topview.operators.omni_reference",
                    "airflow_topview.operators.submit",
                    "airflow_topview.operators.submit_base",
                    "airflow_topview.operators.files",
                    "airflow_topview.operators.transfers",
                    "airflow_topview.operators.budget",
                ],
            }
        ],
        "sensors": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_topview.sensors.image_to_video"]}
        ],
        "triggers": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_topview.triggers.image_to_video"]}
        ],
        "extra-links": ["airflow_topview.links.TopviewVideoLink"],
        "config": {
            "topview": {
                "description": "Settings of the TopView provider (airflow-provider-topview).",
                "options": {
                    "models_file": {
                        "description": (
                            "A JSON file extending or correcting the built-in model catalog (capabilities, "
                            "credit rates, submit names), same shape as airflow_topview/data/"
                            "topview-models.json. An operator's models_file parameter takes precedence."
                        ),
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "/opt/airflow/config/topview-models.json",
                        "default": "",
                    },
                    "task_link_template": {
                        "description": (
                            "URL of a TopView task's page for the 'TopView video' extra link while the "
                            "video does not exist yet; {topview_task_id} is replaced. TopView does not "
                            "document one, so the default opens the web app with the task id."
                        ),
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "https://www.topview.ai/?taskId={topview_task_id}",
                        "default": "https://www.topview.ai/?taskId={topview_task_id}",
                        # Airflow < 3.2 expands {...} in defaults with its own variables (and fails on
                        # {topview_task_id}) unless the option says it is a template.
                        "is_template": True,
                    },
                    "min_poll_interval": {
                        "description": (
                            "The shortest poll_interval / poke_interval a TopView wait accepts, in "
                            "seconds. TopView tasks take minutes; lower it only for tests against the "
                            "bundled simulator."
                        ),
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "1.0",
                        "default": "1.0",
                    },
                    "min_deferral": {
                        "description": (
                            "Seconds between a TopView task's deferral and the earliest trigger event that "
                            "resumes it on a worker (busy waits, failed or timed-out waits). Airflow 3.3 "
                            "kills a try resumed before the scheduler drained the deferring try's exit "
                            "report (apache/airflow#66374, #72716; fixes pending in #71579, #72767): keep "
                            "it well above the scheduler's event lag. A succeeded wait ends its task in "
                            "the triggerer and is not delayed."
                        ),
                        "version_added": "0.2.0",
                        "type": "float",
                        "example": "10.0",
                        "default": "10.0",
                    },
                    "progress_interval": {
                        "description": (
                            "Seconds between two progress lines in the task log while a TopView task keeps "
                            "its status (elapsed time, status, polls); a status change is logged at once. "
                            "Many waits share a triggerer, so not one line per poll."
                        ),
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "60.0",
                        "default": "60.0",
                    },
                },
            }
        },
        "connection-types": [
            {
                "hook-class-name": "airflow_topview.hooks.topview.TopviewHook",
                "hook-name": "TopView",
                "connection-type": "topview",
                "ui-field-behaviour": copy.deepcopy(UI_FIELD_BEHAVIOUR),
                "conn-fields": {},
            }
        ],
    }
