"""TopView model capabilities and credit rates: what each model accepts and costs, per task type.

One table per task type (TaskType key): Image-to-Video V2 (``image2video``,
``airflow_topview/data/topview-models.json``), Text-to-Video (``text2video``,
``data/topview-text2video-models.json``) and Omni Reference (``omni_reference``,
``data/topview-omni-reference-models.json``). They are snapshots; TopView adds models often, so they are
advisory: an unknown model is never an error, and users extend or correct them without a release through
``[topview] models_file`` (env ``AIRFLOW__TOPVIEW__MODELS_FILE``) or an explicit file (top-level or entry
``task_type``, default ``image2video``). Importing this package reads nothing: the tables are loaded and
validated on first use, then cached.

A model gone upstream keeps its entry with ``retired`` (``model_notices`` warns); a name TopView no longer
takes is a ``former_names`` of its successor (``Catalog.replacement_for``), never found by ``find``.

TopView's own client sends the display name (``"Seedance 1.5 Pro"``) as the submit body's ``model``, not a
code name: ``Catalog.submit_name`` gives that spelling for a known model and the text as written for any
other, ``Catalog.suggest`` the model a mistyped name probably means, ``Catalog.known_submit_names`` every
spelling the table expects TopView to take. Each entry records its ``source`` and ``as_of``.

``python -m airflow_topview.catalog`` prints the tables (``--task-type KEY`` one of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_topview.catalog._cost import (
    CreditEstimate,
    estimate_cost,
    estimate_credits,
)
from airflow_topview.catalog._loader import (
    configured_models_file,
    get_catalog,
    load_catalog,
    load_catalogs,
    reset_catalog_cache,
)
from airflow_topview.catalog._names import InputMode, model_key
from airflow_topview.catalog._notices import model_notices
from airflow_topview.catalog._rules import check_request
from airflow_topview.catalog._table import Catalog
from airflow_topview.exceptions import CatalogError, UnknownCostError

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import Durations, ModelSpec, Rate, Retirement

__all__ = [
    "Catalog",
    "CatalogError",
    "CreditEstimate",
    "Durations",
    "InputMode",
    "ModelSpec",
    "Rate",
    "Retirement",
    "UnknownCostError",
    "check_request",
    "configured_models_file",
    "estimate_cost",
    "estimate_credits",
    "get_catalog",
    "load_catalog",
    "load_catalogs",
    "model_key",
    "model_notices",
    "reset_catalog_cache",
]


def __getattr__(name: str) -> object:
    """The entry classes, imported on first use: importing the package stays cheap (no pydantic)."""
    if name in ("Durations", "ModelSpec", "Rate", "Retirement"):
        from airflow_topview.catalog import _spec

        return getattr(_spec, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
