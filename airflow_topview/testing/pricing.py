"""Credit cost of a task, from the packaged catalog's rates for its task type, so credit checks and charges
look real: rate x duration x number of videos.

The simulator reads the packaged table only (``load_catalog(task_type=...)``), never a user's models file,
and keeps its own rate matching: it must charge what TopView would charge even when the provider's
estimate is wrong or overridden.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from airflow_topview.catalog import load_catalog
from airflow_topview.client.task_types import IMAGE_TO_VIDEO

if TYPE_CHECKING:
    from airflow_topview.catalog import Rate

#: Credits per second charged for models without a published rate (added with ``add_model``, any model
#: with ``accept_any_model``, or a catalog model whose rates are null), whatever the task type.
UNKNOWN_MODEL_RATE = 1.0


@cache
def _rates_by_model(task_type: str) -> dict[str, tuple[Rate, ...]]:
    table: dict[str, tuple[Rate, ...]] = {}
    for spec in load_catalog(task_type=task_type):
        for key in (spec.id, spec.name, spec.submit_name, *spec.submit_aliases):
            table.setdefault(key.casefold(), spec.rates)
    return table


def rate_per_second(model: str, resolution: int, sound: str, task_type: str = IMAGE_TO_VIDEO.key) -> float:
    """Credits per second for one video of ``task_type``; matches the model by id, display name or submit
    name, case-insensitively, among that task type's models."""
    rates = _rates_by_model(task_type).get(model.strip().casefold())
    if not rates:
        return UNKNOWN_MODEL_RATE

    def fits(rate: Rate, *, check_resolution: bool) -> bool:
        res_ok = not check_resolution or rate.resolution in (None, resolution)
        return res_ok and rate.sound in (None, sound)

    # A resolution the model does not list still costs something: fall back to the sound match.
    for check_resolution in (True, False):
        for rate in rates:
            if fits(rate, check_resolution=check_resolution):
                return float(rate.credits_per_second)
    return float(rates[0].credits_per_second)


def task_cost(
    model: str, resolution: int, sound: str, duration: int, videos: int, task_type: str = IMAGE_TO_VIDEO.key
) -> float:
    """Total credits: rate x duration x number of videos."""
    return round(rate_per_second(model, resolution, sound, task_type) * duration * videos, 4)
