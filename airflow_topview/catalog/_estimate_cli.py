"""``python -m airflow_topview.catalog --estimate``: price one submit before a run, as the operator will.

The request is built the way a submit builds it (the task type's request builder), with stand-in inputs
where the task type needs them (a first frame, reference images, a video to edit, a prompt: none of them
changes the price); it is checked with the same capability rules (``check_request``) and priced with the
same :func:`~airflow_topview.catalog.estimate_cost`. So the figure is the one the operator logs
("Estimated cost: ...") and holds against ``max_credits``, and a request the operator would refuse is
refused here too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from airflow_topview.catalog._stand_in import stand_ins
from airflow_topview.client.task_types import TASK_TYPES
from airflow_topview.exceptions import RequestValidationError, UnknownCostError

if TYPE_CHECKING:
    import argparse

    from airflow_topview.catalog._cost import CreditEstimate
    from airflow_topview.catalog._loader import Catalogs
    from airflow_topview.catalog._spec import ModelSpec

#: Command-line flag (argparse dest) -> the operator parameter it sets.
PARAMETERS = {
    "model": "model",
    "duration": "duration",
    "resolution": "resolution",
    "sound": "sound",
    "count": "generating_count",
    "aspect_ratio": "aspect_ratio",
}
#: Stand-in inputs: they make the settings a whole request and do not change the price.


class EstimateError(Exception):
    """A request the command line cannot price; the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "estimate",
        "price one submit before a run, with the estimate and checks the operator uses: "
        "--estimate --task-type KEY --model NAME [--duration S] [--resolution P] [--sound on|off] "
        "[--count N]",
    )
    group.add_argument("--estimate", action="store_true", help="print the credit estimate of one submit")
    group.add_argument("--model", metavar="NAME", help="the operator's model (name, id or submit name)")
    group.add_argument("--duration", metavar="SECONDS", help="unset: priced at the model's longest")
    group.add_argument("--resolution", metavar="P", help="e.g. 720; unset: priced at the priciest allowed")
    group.add_argument("--sound", metavar="on|off", help="unset: off (TopView's default)")
    group.add_argument(
        "--count", metavar="N", help="videos per task, generating_count (1-4); unset: 1 (TopView's default)"
    )
    group.add_argument("--aspect-ratio", metavar="W:H", help="checked only: it does not change the price")


def misuse(args: argparse.Namespace) -> str | None:
    """Why the estimate flags do not fit together, or None."""
    given = [flag for flag in PARAMETERS if getattr(args, flag) is not None]
    if not args.estimate:
        return f"--{given[0].replace('_', '-')} only goes with --estimate" if given else None
    if args.task_type is None:
        return f"--estimate needs --task-type: {', '.join(TASK_TYPES)}"
    if args.model is None:
        return "--estimate needs --model"
    return None


def _unknown_model(model: str, task_type: str, catalogs: Catalogs) -> EstimateError:
    label = TASK_TYPES[task_type].label
    parts = [
        f"model {model!r} is not in the {label} table, so there is no rate to price it with (a submit "
        "sends it as written, unestimated)"
    ]
    likely = catalogs[task_type].suggest(model)
    if likely is not None:
        parts.append(f"did you mean {likely.name!r} ({likely.id})?")
    elsewhere = [TASK_TYPES[key].label for key, other in catalogs.items() if other.find(model) is not None]
    if elsewhere:
        parts.append(f"it is a model of {' and '.join(elsewhere)}: is --task-type right?")
    parts.append(f"python -m airflow_topview.catalog --task-type {task_type} lists the models")
    return EstimateError("; ".join(parts))


def price(args: argparse.Namespace, catalogs: Catalogs) -> tuple[CreditEstimate, ModelSpec, list[str]]:
    """The estimate of the request the flags describe, its model entry and the model's warnings."""
    from airflow_topview.catalog._cost import estimate_cost
    from airflow_topview.catalog._notices import model_notices
    from airflow_topview.catalog._rules import check_request

    task_type = TASK_TYPES[args.task_type]
    catalog = catalogs[task_type.key]
    replacement = catalog.replacement_for(args.model)
    if replacement is not None:  # what the operator refuses before anything is sent
        raise EstimateError(
            f"model: {args.model!r} is no longer accepted by TopView; use {replacement.name!r}"
        )
    spec = catalog.find(args.model)
    if spec is None:
        raise _unknown_model(args.model, task_type.key, catalogs)
    settings = {
        name: getattr(args, flag) for flag, name in PARAMETERS.items() if getattr(args, flag) is not None
    }
    try:
        request = task_type.build_request({**settings, **stand_ins(task_type.key, spec)})
    except RequestValidationError as exc:
        raise EstimateError(str(exc)) from None
    if problems := check_request(request, spec):
        raise EstimateError(f"Invalid {task_type.label} request: " + "; ".join(problems))
    try:
        estimate = estimate_cost(request, spec)
    except UnknownCostError as exc:
        raise EstimateError(str(exc)) from None
    return estimate, spec, model_notices(request, spec)


def defaults(args: argparse.Namespace, spec: ModelSpec) -> list[str]:
    """TopView's documented defaults the estimate took for unset parameters (not an upper bound's)."""
    notes = []
    if spec.task_type == "omni_reference":
        notes.append("sound: Omni Reference sends none; priced at the sound-off rate")
    elif args.sound is None and spec.native_audio:
        notes.append("sound unset: off, TopView's default")
    if args.count is None:
        notes.append("count unset: 1 video, TopView's default")
    return notes


def _flags(estimate: CreditEstimate) -> str:
    return " and ".join(f"--{name}" for name in estimate.unset)


def report(args: argparse.Namespace, estimate: CreditEstimate, spec: ModelSpec, warnings: list[str]) -> str:
    """The figure, its working and everything it assumed, as text (or JSON with ``--json``)."""
    label = TASK_TYPES[spec.task_type].label
    assumed = [*estimate.assumed, *defaults(args, spec)]
    source = f"{spec.source} (as of {spec.as_of or 'unknown'})"
    if args.json:
        document = {
            "task_type": spec.task_type,
            "model": spec.label,
            "credits": estimate.credits,
            "upper_bound": estimate.upper_bound,
            "unset": list(estimate.unset),
            "credits_per_second": estimate.credits_per_second,
            "duration": estimate.duration,
            "resolution": estimate.resolution,
            "sound": estimate.sound,
            "generating_count": estimate.generating_count,
            "assumed": assumed,
            "confidence": estimate.confidence,
            "source": source,
            "warnings": warnings,
            "text": str(estimate),
        }
        return json.dumps(document, indent=1)
    bound = "at most " if estimate.upper_bound else ""
    at = f"{estimate.resolution}p, " if estimate.resolution is not None else ""
    lines = [
        f"{label}, {spec.label}: {bound}{estimate.credits:g} credits",
        f"working: {estimate.credits_per_second:g} credits/s x {estimate.duration} s x "
        f"{estimate.generating_count} video(s) = {estimate.credits:g} credits ({at}sound {estimate.sound})",
        *(f"assumed: {note}" for note in assumed or ["nothing"]),
    ]
    if estimate.upper_bound:
        lines.append(
            f"exact figure: set {_flags(estimate)}; an unset duration or resolution is priced at its maximum"
        )
    lines.append(f"rates: {source}")
    lines.append(
        f"max_credits: {estimate.credits:g} or more lets a submit with these settings through (the operator "
        "holds this estimate against it before paying)"
    )
    lines.extend(f"warning: {notice}" for notice in warnings)
    return "\n".join(lines)
