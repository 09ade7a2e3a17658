"""A budget for a whole DAG run: approve a fan-out before anything is paid, and tally it afterwards.

``max_credits`` guards one submit; a campaign maps hundreds. :func:`approve` prices the whole fan-out
from its inputs (how many videos, with which model and settings) with the same catalog estimate a
submit uses, and fails closed: an unknown rate is an error, never "free". The approval (a JSON dict,
XCom of :class:`~airflow_topview.operators.budget.RunBudgetOperator`) is then handed to every submit
(``run_budget=budget.output``), which refuses to pay when it is not covered by it
(:func:`check_covered`): more videos than approved, or a dearer request than the one priced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import RequestValidationError, TopviewBudgetError

if TYPE_CHECKING:
    from airflow_topview.catalog import CreditEstimate
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.exceptions import TopviewAPIError

#: A finite number of credits, zero or more (an int or a float: not text, not a boolean).
Credits = Annotated[StrictFloat | StrictInt, Field(ge=0, allow_inf_nan=False)]


class TopviewRunApproval(BaseModel):
    """What a run budget approved (XCom of the budget task), read back by each submit before it pays."""

    model_config = ConfigDict(frozen=True)

    videos: Annotated[StrictInt, Field(ge=0)]
    credits_per_video: Credits
    estimated_credits: Credits
    max_credits: Credits
    remaining_credits: float | None = None
    approved_by: str


#: Placeholder frame for pricing: the estimate depends on model, duration, resolution, sound and count.


def video_count(videos: Any) -> int:
    """How many submits the fan-out makes: a whole number, or the length of what is mapped over."""
    if isinstance(videos, bool):
        raise TopviewBudgetError(f"videos: give a count or the list mapped over, got {videos!r}")
    if isinstance(videos, int):
        count = videos
    elif isinstance(videos, str) and videos.strip().isdigit():
        count = int(videos.strip())
    elif isinstance(videos, Sized) and not isinstance(videos, (str, bytes, dict)):
        count = len(videos)
    else:
        raise TopviewBudgetError(
            f"videos: give a count or the list mapped over (e.g. the same XComArg as the submit's expand), "
            f"got {type(videos).__name__} {str(videos)[:100]!r}"
        )
    if count < 0:
        raise TopviewBudgetError(f"videos: must be zero or more, got {count}")
    return count


def price_one(
    settings: dict[str, Any], *, models_file: str | None, task_type: TaskType = IMAGE_TO_VIDEO
) -> CreditEstimate:
    """The catalog estimate of one ``task_type`` submit with these settings; fails on an unknown rate."""
    from airflow_topview.catalog import UnknownCostError, check_request, estimate_cost
    from airflow_topview.catalog._stand_in import stand_ins
    from airflow_topview.submit.model_checks import catalog_for, refuse_former_name

    catalog = catalog_for(models_file, task_type)
    model = settings.get("model")
    known = catalog.find(model) if isinstance(model, str) else None
    try:
        request = task_type.build_request({**settings, **stand_ins(task_type.key, known)})
    except RequestValidationError as exc:
        raise TopviewBudgetError(str(exc)) from None
    refuse_former_name(catalog, request.model)
    spec = catalog.find(request.model)
    if spec is not None and (problems := check_request(request, spec)):
        raise TopviewBudgetError(f"Invalid {task_type.label} settings: " + "; ".join(problems))
    try:
        return estimate_cost(request, spec)
    except UnknownCostError as exc:
        raise TopviewBudgetError(
            f"The run budget cannot be enforced: {exc}. A budget fails closed: add the model's rates to a "
            "models file ([topview] models_file) or drop the budget"
        ) from None


def approve(
    count: int,
    one: CreditEstimate,
    *,
    max_credits: float,
    remaining: float | None,
    approved_by: str,
) -> dict[str, Any]:
    """The approval of ``count`` submits priced ``one`` each, or a failure naming the figures.

    ``approved_by`` (the budget task's id) lets a submit check that the approval came to it straight
    from that task: one passed on by another task or a template could reach a second submit task.
    """
    total = round(count * one.credits, 6)
    if total > max_credits:
        raise TopviewBudgetError(
            f"max_credits: the run would cost an estimated {total:g} credits ({count} x {one.credits:g}: "
            f"{one}), above the run budget of {max_credits:g}"
        )
    if remaining is not None and total > remaining:
        raise TopviewBudgetError(
            f"The account has {remaining:g} credits left, less than the run's estimated {total:g} credits "
            f"({count} x {one.credits:g})"
        )
    approval = TopviewRunApproval(
        videos=count,
        credits_per_video=one.credits,
        estimated_credits=total,
        max_credits=max_credits,
        remaining_credits=remaining,
        approved_by=approved_by,
    )
    return approval.model_dump()


def check_covered(
    approval: Any, estimate: CreditEstimate | None, map_index: int, upstream_task_ids: Iterable[str]
) -> None:
    """A submit's own check against the run's approval, before it pays: fail closed on anything odd.

    The approval counts the videos of one submit task, which the budget task checks among its direct
    downstream tasks; so it must reach this submit straight from the budget task (``budget.output``):
    relayed by another task, or pulled by a template, it could also reach a second submit task.
    """
    try:
        approved = TopviewRunApproval.model_validate(approval)
    except ValidationError:
        raise TopviewBudgetError(
            "run_budget: expected the approval pushed by RunBudgetOperator (is the budget task's XCom "
            f"missing, e.g. marked success by hand?), got {str(approval)[:200]!r}"
        ) from None
    approved_by = approved.approved_by
    if approved_by not in set(upstream_task_ids):
        raise TopviewBudgetError(
            f"run_budget: the approval of budget task {approved_by!r} did not come straight from it: pass "
            "run_budget=budget.output, not through another task or a template (an approval passed on "
            "could reach a second submit task and pay for its videos twice)"
        )
    position = max(map_index, 0)
    if position >= approved.videos:
        raise TopviewBudgetError(
            f"run_budget: the run budget approved {approved.videos} video(s); this is number "
            f"{position + 1} (map index {map_index}): not submitting"
        )
    per_video = approved.credits_per_video
    if estimate is None:
        raise TopviewBudgetError(
            "run_budget: this submit's cost cannot be estimated (its model has no known rate), so the run "
            "budget cannot be enforced"
        )
    if estimate.credits > per_video + 1e-9:
        raise TopviewBudgetError(
            f"run_budget: this submit is estimated at {estimate.credits:g} credits ({estimate}), more than "
            f"the {per_video:g} per video the run budget approved"
        )


#: TopView's code for "not enough credits".
NO_CREDITS = "4100"
#: TopView's billing rules: the Ultra plan's monthly credits are not available to the API.
ULTRA_PLAN_NOTE = (
    "TopView's billing rules say the Ultra plan's monthly credits cannot be spent through the API (API "
    "calls draw on standard subscription credits, purchased credit packs and other eligible balances)"
)


def explain_no_credits(exc: TopviewAPIError, approval: Any) -> TopviewAPIError:
    """A 4100 ("not enough credits") after a run budget's balance check saw enough: say what may explain it.

    Either the credits seen are ones the API cannot spend (the Ultra plan's), or they were spent since the
    check (other runs, or this fan-out). Without such a check the error is TopView's own.
    """
    from airflow_topview.exceptions import TopviewAPIError

    approval = approval if isinstance(approval, dict) else {}
    remaining, estimated = approval.get("remaining_credits"), approval.get("estimated_credits")
    numbers = all(
        isinstance(value, (int, float)) and not isinstance(value, bool) for value in (remaining, estimated)
    )
    if not numbers or remaining < estimated:
        return exc
    note = (
        f"the run budget's balance check saw {remaining:g} credits on the account, enough for the "
        f"{estimated:g} estimated: either {ULTRA_PLAN_NOTE}, or they were spent since the check"
    )
    return TopviewAPIError(
        exc.code,
        f"{exc.message} ({note})",
        http_status=exc.http_status,
        retry_after=exc.retry_after,
        endpoint=exc.endpoint,
    )
