"""The value objects of a model entry: allowed durations, one credit rate, a retirement notice."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, field_validator, model_validator

from airflow_topview.catalog._names import Sound, join_or

STRICT = ConfigDict(extra="forbid", frozen=True)
DURATION_SHAPES = "{'min': m, 'max': n} or {'values': [...]}"
_DAY = re.compile(r"20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])")


class Durations(BaseModel):
    """Allowed video lengths in seconds: a closed range (``minimum``..``maximum``) or a list of ``values``.

    In the table: ``{"min": m, "max": n}`` or ``{"values": [...]}``.
    """

    model_config = STRICT

    minimum: StrictInt | None = Field(default=None, ge=1)
    maximum: StrictInt | None = Field(default=None, ge=1)
    values: tuple[StrictInt, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_table(cls, data: Any) -> Any:
        """The table's ``{"min", "max"}`` or ``{"values"}``, none of them null (null durations: any)."""
        if isinstance(data, dict) and set(data) == {"min", "max"}:
            data = {"minimum": data["min"], "maximum": data["max"]}
        if isinstance(data, dict):
            missing = [name for name, value in data.items() if value is None]
            if missing:
                raise ValueError(f"{' and '.join(missing)} must not be null (set durations to null instead)")
        return data

    @field_validator("values")
    @classmethod
    def _positive_unique(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and any(item < 1 for item in value):
            raise ValueError("durations must be whole seconds >= 1")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("repeats a duration")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Durations:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"min ({self.minimum}) is greater than max ({self.maximum})")
        return self

    def allows(self, seconds: int) -> bool:
        if self.values is not None:
            return seconds in self.values
        low = self.minimum if self.minimum is not None else 1
        return low <= seconds and (self.maximum is None or seconds <= self.maximum)

    @property
    def longest(self) -> int | None:
        """The longest allowed duration (None when unbounded): the estimate's default for an unset one."""
        return max(self.values) if self.values else self.maximum

    @property
    def shortest(self) -> int | None:
        return min(self.values) if self.values else self.minimum

    def describe(self) -> str:
        """``"5 or 10 seconds"`` / ``"4 to 12 seconds"``, as messages and the table print it."""
        if self.values is not None:
            return f"{join_or(self.values)} seconds"
        if self.maximum is None:
            return f"at least {self.minimum or 1} seconds"
        return f"{self.minimum or 1} to {self.maximum} seconds"

    def to_json(self) -> dict[str, Any]:
        if self.values is not None:
            return {"values": list(self.values)}
        return {"min": self.minimum, "max": self.maximum}


class Rate(BaseModel):
    """Credits per second of video for one video, at a resolution (None = any) and sound (None = either)."""

    model_config = STRICT

    resolution: StrictInt | None = Field(gt=0)
    sound: Sound | None
    # Strict: "5" is a typo, not a rate; 0 would make every max_credits budget pass (refused below).
    credits_per_second: StrictFloat = Field(allow_inf_nan=False)

    @field_validator("credits_per_second")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(
                f"must be more than 0 credits per second, got {value!r} (a free model would pass every "
                "max_credits budget; leave rates null when the price is unknown)"
            )
        return value

    def matches(self, resolution: int | None, sound: str) -> bool:
        return self.resolution in (None, resolution) and self.sound in (None, sound)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


class Retirement(BaseModel):
    """A model gone upstream: since when (``on``, ``YYYY-MM-DD``), why, and what to use instead.

    In the table: ``{"on": "2026-09-24", "reason": "...", "alternatives": ["Veo 3.1", ...]}``; the entry
    stays so that a request naming the model is warned, not left to TopView's bare code 4000.
    """

    model_config = STRICT

    on: str
    reason: str = Field(min_length=1)
    alternatives: tuple[str, ...] = ()

    @field_validator("on")
    @classmethod
    def _day(cls, value: str) -> str:
        if not _DAY.fullmatch(value):
            raise ValueError(f"must be a day like 2026-09-24, got {value!r}")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must say why the model was retired")
        return value.strip()

    @field_validator("alternatives")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item.strip() for item in value):
            raise ValueError("each alternative must name a model")
        return tuple(item.strip() for item in value)

    def to_json(self) -> dict[str, Any]:
        return {"on": self.on, "reason": self.reason, "alternatives": list(self.alternatives)}
