"""TopView model capabilities and credit rates: what each Image-to-Video V2 model accepts and costs.

The table is a snapshot shipped as ``airflow_topview/data/topview-models.json``; TopView adds models often,
so it is advisory: an unknown model is never an error, and users extend or correct it without a release
through ``[topview] models_file`` (env ``AIRFLOW__TOPVIEW__MODELS_FILE``) or an explicit file. Importing this
package reads nothing: the table is loaded and validated on first use, then cached.

TopView's own client sends the display name (``"Seedance 1.5 Pro"``) as the submit body's ``model``, not a
code name: ``Catalog.submit_name`` gives that spelling for a known model and the text as written for any
other, ``Catalog.suggest`` the model a mistyped name probably means, ``Catalog.known_submit_names`` every
spelling the table expects TopView to take. Each entry records its ``source`` and ``as_of``.

``python -m airflow_topview.catalog`` prints the table.
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
    reset_catalog_cache,
)
from airflow_topview.catalog._names import InputMode, model_key
from airflow_topview.catalog._rules import check_request
from airflow_topview.catalog._table import Catalog
from airflow_topview.exceptions import CatalogError, UnknownCostError

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import Durations, ModelSpec, Rate

__all__ = [
    "Catalog",
    "CatalogError",
    "CreditEstimate",
    "Durations",
    "InputMode",
    "ModelSpec",
    "Rate",
    "UnknownCostError",
    "check_request",
    "configured_models_file",
    "estimate_cost",
    "estimate_credits",
    "get_catalog",
    "load_catalog",
    "model_key",
    "reset_catalog_cache",
]


def __getattr__(name: str) -> object:
    """The entry classes, imported on first use: importing the package stays cheap (no pydantic)."""
    if name in ("Durations", "ModelSpec", "Rate"):
        from airflow_topview.catalog import _spec

        return getattr(_spec, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
