"""Validation of model-table entries (pydantic), imported only when a table is first loaded."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from airflow_topview.catalog._spec import AS_OF, Durations, ModelSpec, Rate, kebab_id

_RATIO = re.compile(r"[1-9]\d{0,1}:[1-9]\d{0,1}")
_STRICT = ConfigDict(extra="forbid", frozen=True)


class _Range(BaseModel):
    model_config = _STRICT

    min: StrictInt = Field(ge=1)
    max: StrictInt = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class _Values(BaseModel):
    model_config = _STRICT

    values: list[StrictInt] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _positive_unique(cls, value: list[int]) -> list[int]:
        if any(item < 1 for item in value):
            raise ValueError("durations must be whole seconds >= 1")
        if len(set(value)) != len(value):
            raise ValueError("repeats a duration")
        return value


def _duration_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "_values" if "values" in value else "_range"
    return "_values" if isinstance(value, _Values) else "_range"


# Tags start with "_" so error locations (which include them) can drop them.
_DurationRule = Annotated[
    Annotated[_Range, Tag("_range")] | Annotated[_Values, Tag("_values")],
    Discriminator(_duration_kind),
]


class _RateEntry(BaseModel):
    model_config = _STRICT

    resolution: StrictInt | None = Field(gt=0)
    sound: Literal["on", "off"] | None
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


class _ModelEntry(BaseModel):
    """One ``models[]`` item. Every capability key is required (null is a meaning, not a default).

    ``rates`` null: TopView has not published a price. The naming and provenance keys are optional.
    """

    model_config = _STRICT

    name: str | None = None
    id: str | None = None
    submit_name: str | None = None
    submit_aliases: list[str] = []
    input_mode: Literal["first_end", "single", "multi_ref"]
    resolutions: list[StrictInt] | None = Field(min_length=1)
    durations: _DurationRule | None
    aspect_ratios: list[str] | None = Field(min_length=1)
    native_audio: StrictBool
    prompt_required: StrictBool = False
    rates: list[_RateEntry] | None
    source: str | None = None
    as_of: str | None = None

    @field_validator("name", "id", "submit_name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not kebab_id(value):
            raise ValueError("must name the model (letters or digits)")
        return value.strip() if value is not None else None

    @field_validator("submit_aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        if any(not kebab_id(item) or item != item.strip() for item in value):
            raise ValueError("each alias must name the model exactly as sent (no blank or padded text)")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must say where the entry comes from, or be left out")
        return value.strip() if value is not None else None

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: str | None) -> str | None:
        if value is not None and not AS_OF.fullmatch(value):
            raise ValueError(f"must be a date like 2026, 2026-09 or 2026-09-30, got {value!r}")
        return value

    @field_validator("resolutions")
    @classmethod
    def _resolutions(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(item < 1 for item in value):
            raise ValueError("resolutions must be positive integers")
        return value

    @field_validator("durations", mode="before")
    @classmethod
    def _duration_shape(cls, value: Any) -> Any:
        shapes = "{'min': m, 'max': n} or {'values': [...]}"
        if value is not None and not isinstance(value, dict):
            raise ValueError(f"must be {shapes} or null, got {value!r}")
        if isinstance(value, dict) and set(value) not in ({"min", "max"}, {"values"}):
            raise ValueError(f"must be {shapes}, got keys {sorted(value)}")
        return value

    @field_validator("aspect_ratios")
    @classmethod
    def _ratios(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            bad = [item for item in value if not _RATIO.fullmatch(item)]
            if bad:
                raise ValueError(f"aspect ratios must look like 16:9, got {bad}")
        return value

    @model_validator(mode="after")
    def _identity_and_rates(self) -> _ModelEntry:
        if not self.name and not self.id:
            raise ValueError("needs a name or an id")
        seen: set[tuple[int | None, str | None]] = set()
        for rate in self.rates or ():
            slot = (rate.resolution, rate.sound)
            if slot in seen:
                raise ValueError(
                    f"rates: two rates for resolution {json.dumps(rate.resolution)} "
                    f"and sound {json.dumps(rate.sound)}"
                )
            seen.add(slot)
        return self

    def to_spec(self, file: str) -> ModelSpec:
        name = self.name or self.id or ""
        durations: Durations | None = None
        if isinstance(self.durations, _Range):
            durations = Durations(minimum=self.durations.min, maximum=self.durations.max)
        elif isinstance(self.durations, _Values):
            durations = Durations(values=tuple(self.durations.values))
        return ModelSpec(
            name=name,
            id=self.id or kebab_id(name),
            input_mode=self.input_mode,
            resolutions=None if self.resolutions is None else tuple(self.resolutions),
            durations=durations,
            aspect_ratios=None if self.aspect_ratios is None else tuple(self.aspect_ratios),
            native_audio=self.native_audio,
            rates=tuple(Rate(r.resolution, r.sound, r.credits_per_second) for r in self.rates or ()),
            source=self.source or file,
            submit_name=self.submit_name or name,
            submit_aliases=tuple(self.submit_aliases),
            prompt_required=self.prompt_required,
            as_of=self.as_of,
            file=file,
        )


def build_spec(entry: dict[str, Any], file: str) -> ModelSpec:
    """Validate one raw entry read from ``file``; raises ValueError with one ``field: problem`` per line."""
    try:
        return _ModelEntry.model_validate(entry).to_spec(file)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(
                str(part) for part in error["loc"] if not str(part).startswith(("_", "function-"))
            )
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "is not a model-table key"
            elif "got " not in message and where and not isinstance(error.get("input"), (dict, list)):
                message = f"{message}, got {error.get('input')!r}"
            problems.append(f"{where}: {message}" if where else message)
        raise ValueError("; ".join(dict.fromkeys(problems))) from None
