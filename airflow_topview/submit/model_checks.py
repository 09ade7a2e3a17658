"""A request held against the model catalog before anything is paid: capabilities, budget, spelling.

Each task type (Image-to-Video, Text-to-Video, Omni Reference) has its own table. The catalog is
advisory: an unknown model is never blocked (TopView adds models often), only named, with the likely
model when the name looks like a typo. A name TopView no longer takes (``Topview Omni``) is refused:
TopView would refuse it too. ``max_credits`` is a money guard, so it fails closed: no estimate, or a
template that rendered to nothing, is an error.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from airflow_topview.catalog import (
    CatalogError,
    UnknownCostError,
    check_request,
    estimate_cost,
    get_catalog,
    model_notices,
)
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TaskType
from airflow_topview.exceptions import RequestValidationError, TopviewBudgetError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow.sdk.types import Logger

    from airflow_topview.catalog import Catalog, CreditEstimate


class NamedRequest(Protocol):
    """A validated request of any task type: a ``model`` and a pydantic copy with changes."""

    @property
    def model(self) -> str: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...


RequestT = TypeVar("RequestT", bound=NamedRequest)


def submit_spelling(
    request: RequestT, models_file: str | None, task_type: TaskType = IMAGE_TO_VIDEO
) -> RequestT:
    """The request with ``model`` spelled the way TopView takes it: a known model's submit name.

    TopView's own client sends display names ("Seedance 1.5 Pro"), not code names; an unknown model
    goes out exactly as written.
    """
    submit_name = catalog_for(models_file, task_type).submit_name(request.model)
    return request if submit_name == request.model else request.model_copy(update={"model": submit_name})


def catalog_for(models_file: str | None, task_type: TaskType = IMAGE_TO_VIDEO) -> Catalog:
    """The ``task_type`` model table with ``models_file``; a broken file fails the task without retries."""
    try:
        return get_catalog(models_file, task_type.key)
    except CatalogError as exc:
        raise RequestValidationError(f"models_file: {exc}") from None


def refuse_former_name(catalog: Catalog, model: str) -> None:
    """A name TopView no longer takes fails before anything is sent, naming the model that replaced it."""
    replacement = catalog.replacement_for(model)
    if replacement is not None:
        raise RequestValidationError(
            f"model: {model!r} is no longer accepted by TopView; use {replacement.name!r}"
        )


def check_model_and_budget(
    request: NamedRequest,
    *,
    models_file: str | None,
    validate_model: bool,
    max_credits: Any,
    log: Logger,
    task_type: TaskType = IMAGE_TO_VIDEO,
) -> CreditEstimate | None:
    """Capability checks for known models and the ``max_credits`` guard; returns the credit estimate.

    ``request`` is a request of ``task_type``, checked against that task type's table. A former model
    name fails first, even with ``validate_model=False`` (TopView refuses it); warnings about the model
    (retired, caveats of the parameters set, low-confidence facts) are logged, never raised. The estimate
    is None for a model whose cost is unknown (then ``max_credits`` must be unset). The ``[topview]``
    options and the models file are checked here too: this runs before anything is paid.
    """
    from airflow_topview.settings import check_config

    check_config()
    catalog = catalog_for(models_file, task_type)
    refuse_former_name(catalog, request.model)
    spec = catalog.find(request.model)
    for notice in model_notices(request, spec):
        log.warning("%s", notice)
    if spec is None and (likely := catalog.suggest(request.model)) is not None:
        log.warning(
            "Model %r is not in the model catalog; did you mean %r (%s)? It is sent as written, "
            "unchecked (TopView adds models often)",
            request.model,
            likely.name,
            likely.id,
        )
    elif spec is None:
        log.info("Model %r is not in the model catalog: its parameters are not checked", request.model)
    elif validate_model and (problems := check_request(request, spec)):
        raise TopviewBudgetError(f"Invalid {task_type.label} request: " + "; ".join(problems))
    budget = budget_from(max_credits)
    try:
        estimate = estimate_cost(request, spec)
    except UnknownCostError as exc:
        if budget is not None:
            raise TopviewBudgetError(
                f"max_credits={budget:g} is set but the cost cannot be estimated ({exc}), so the budget "
                "cannot be enforced; add the model to a models file or unset max_credits"
            ) from None
        return None
    # An estimate that priced unset parameters at their maximum says "at most"; name what makes it exact.
    exact = f"; set {' and '.join(estimate.unset)} for the exact figure" if estimate.upper_bound else ""
    log.info("Estimated cost: %s%s", estimate, exact)
    if budget is not None and estimate.credits > budget:
        raise TopviewBudgetError(
            f"max_credits: the estimated cost {estimate.credits:g} credits is above the budget of "
            f"{budget:g} ({estimate})"
        )
    return estimate


def budget_from(value: Any) -> float | None:
    """The budget: a Python None means none; a template rendered to nothing is an error (fail closed)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TopviewBudgetError(f"max_credits: must be a number of credits, got {value!r}")
    if isinstance(value, str) and value.strip() in ("", "None", "null"):
        raise TopviewBudgetError(
            f"max_credits: rendered to {value!r}, not a number. A budget fails closed: give a number, "
            "or leave max_credits unset (Python None) for no budget"
        )
    try:
        budget = float(value)
    except (TypeError, ValueError):
        raise TopviewBudgetError(f"max_credits: must be a number, got {value!r}") from None
    if not 0 <= budget < math.inf:
        raise TopviewBudgetError(f"max_credits: must be a finite number, zero or more, got {value!r}")
    return budget
