"""Warnings about a request's model that never stop it: retired upstream, unconfirmed facts, caveats.

TopView decides; these only say what it will likely do, so a task log explains a refusal or a surprise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_topview.catalog._names import join_or

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import ModelSpec


def _is_set(value: Any) -> bool:
    """A parameter the request sends: not None, not False, not empty."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, tuple, dict)) and not value)


def retirement_notice(spec: ModelSpec) -> str | None:
    """``Sora 2 was retired on 2026-09-24: <reason>; TopView likely refuses it ...; use <alternatives>``."""
    retired = spec.retired
    if retired is None:
        return None
    use = f"; use {join_or(retired.alternatives)}" if retired.alternatives else ""
    return (
        f"{spec.name} was retired on {retired.on}: {retired.reason}; TopView likely refuses it "
        f"(code 4000, nothing charged){use}"
    )


def model_notices(request: object, spec: ModelSpec | None) -> list[str]:
    """Warnings for ``request`` on ``spec``'s model, one a line; ``[]`` for an unknown model.

    A retired model; each caveat whose operator parameter the request sets (the line starts with that
    parameter); and a note when the entry's facts, its rates above all, come from third-party reports.
    """
    if spec is None:
        return []
    notices: list[str] = []
    if (retired := retirement_notice(spec)) is not None:
        notices.append(retired)
    for parameter, text in spec.caveats.items():
        if _is_set(getattr(request, parameter, None)):
            notices.append(f"{parameter}: {text}")
    if spec.confidence == "low":
        notices.append(
            f"{spec.label}: the model table's entry is low confidence (third-party reports, not TopView's "
            f"tables: {spec.source}); TopView may refuse what it allows or charge other than the estimate "
            "(compare a finished task's costCredit)"
        )
    return notices
