"""Credit cost of a task, from the bundled model table, so credit checks and charges look real.

The simulator keeps its own tiny reader instead of the provider's catalog: it must charge what
TopView would charge even when the provider's estimate is wrong.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

#: Credits per second charged for models missing from the rate table (added with ``add_model``,
#: or any model with ``accept_any_model``).
UNKNOWN_MODEL_RATE = 1.0


@cache
def _rates_by_model() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("airflow_topview").joinpath("data/topview-models.json").read_text("utf-8")
    table: dict[str, list[dict[str, Any]]] = {}
    for model in json.loads(text)["models"]:
        for key in (model.get("id"), model.get("name")):
            if key:
                table[str(key).casefold()] = list(model.get("rates") or [])
    return table


def rate_per_second(model: str, resolution: int, sound: str) -> float:
    """Credits per second for one video; matches the model by id or display name, case-insensitively."""
    rates = _rates_by_model().get(model.strip().casefold())
    if not rates:
        return UNKNOWN_MODEL_RATE

    def fits(rate: dict[str, Any], *, check_resolution: bool) -> bool:
        res_ok = not check_resolution or rate.get("resolution") in (None, resolution)
        return res_ok and rate.get("sound") in (None, sound)

    # A resolution the model does not list still costs something: fall back to the sound match.
    for check_resolution in (True, False):
        for rate in rates:
            if fits(rate, check_resolution=check_resolution):
                return float(rate["credits_per_second"])
    return float(rates[0]["credits_per_second"])


def task_cost(model: str, resolution: int, sound: str, duration: int, videos: int) -> float:
    """Total credits: rate x duration x number of videos."""
    return round(rate_per_second(model, resolution, sound) * duration * videos, 4)
