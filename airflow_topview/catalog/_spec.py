"""One model's capabilities and prices: one frozen pydantic form, validated from the table's JSON.

The same classes check a ``models[]`` entry (every capability key required: null is a meaning, not a
default) and serve the lookups, checks and estimates. Imported when a table is first loaded.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from airflow_topview.catalog._names import AS_OF, InputMode, Sound, join_or, kebab_id

_RATIO = re.compile(r"[1-9]\d{0,1}:[1-9]\d{0,1}")
_STRICT = ConfigDict(extra="forbid", frozen=True)
_DURATION_SHAPES = "{'min': m, 'max': n} or {'values': [...]}"


class Durations(BaseModel):
    """Allowed video lengths in seconds: a closed range (``minimum``..``maximum``) or a list of ``values``.

    In the table: ``{"min": m, "max": n}`` or ``{"values": [...]}``.
    """

    model_config = _STRICT

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

    model_config = _STRICT

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


class ModelSpec(BaseModel):
    """One model's capabilities and prices.

    ``resolutions`` / ``durations`` None: any value (not checked). ``aspect_ratios`` None: the model takes
    the shape from its input image and TopView rejects an ``aspectRatio`` (code 4000). ``rates`` empty
    (null in the table): TopView has not published the model's price, so no estimate is possible. Two
    specs are equal when they describe the same model the same way, wherever the facts come from.
    """

    model_config = _STRICT

    name: str
    id: str
    #: What goes into the submit body's ``model``: TopView takes display names, so ``name`` unless overridden.
    submit_name: str
    #: Other spellings TopView documents for ``model`` (the kebab ids its docs page shows).
    submit_aliases: tuple[str, ...] = ()
    input_mode: InputMode
    resolutions: tuple[StrictInt, ...] | None = Field(min_length=1)
    durations: Durations | None
    aspect_ratios: tuple[str, ...] | None = Field(min_length=1)
    native_audio: StrictBool
    #: TopView fails the model's tasks without a prompt ("Prompt is required").
    prompt_required: StrictBool = False
    rates: tuple[Rate, ...]
    #: Where the entry's facts come from (a text, or the override file's path when it names none).
    source: str
    #: When ``source`` said so: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; None when unknown.
    as_of: str | None = None
    #: The file the entry was read from (the packaged table or an override file); for messages only.
    file: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_table(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill what a table entry may leave out: id or name, the submit name, the source; rates null."""
        if not isinstance(data, dict):
            return data
        if "file" in data:
            raise ValueError("file: is not a model-table key")
        for key in ("name", "id", "submit_name"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not kebab_id(value)):
                raise ValueError(f"{key}: must name the model (letters or digits), got {value!r}")
        name = (data.get("name") or data.get("id") or "").strip()
        if not name:
            raise ValueError("needs a name or an id")
        source = data.get("source")
        if source is not None and (not isinstance(source, str) or not source.strip()):
            raise ValueError("source: must say where the entry comes from, or be left out")
        file = (info.context or {}).get("file", "")
        filled = {
            **data,
            "name": name,
            "id": (data.get("id") or "").strip() or kebab_id(name),
            "submit_name": (data.get("submit_name") or "").strip() or name,
            "source": source.strip() if source else file,
            "file": file,
        }
        if "rates" in data and data["rates"] is None:
            filled["rates"] = ()
        return filled

    @field_validator("submit_aliases")
    @classmethod
    def _aliases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not kebab_id(item) or item != item.strip() for item in value):
            raise ValueError("each alias must name the model exactly as sent (no blank or padded text)")
        return value

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: str | None) -> str | None:
        if value is not None and not AS_OF.fullmatch(value):
            raise ValueError(f"must be a date like 2026, 2026-09 or 2026-09-30, got {value!r}")
        return value

    @field_validator("resolutions")
    @classmethod
    def _resolutions(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and any(item < 1 for item in value):
            raise ValueError("resolutions must be positive integers")
        return value

    @field_validator("durations", mode="before")
    @classmethod
    def _duration_shape(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, (dict, Durations)):
            raise ValueError(f"must be {_DURATION_SHAPES} or null, got {value!r}")
        if isinstance(value, dict) and set(value) not in ({"min", "max"}, {"values"}):
            raise ValueError(f"must be {_DURATION_SHAPES}, got keys {sorted(value)}")
        return value

    @field_validator("aspect_ratios")
    @classmethod
    def _ratios(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            bad = [item for item in value if not _RATIO.fullmatch(item)]
            if bad:
                raise ValueError(f"aspect ratios must look like 16:9, got {bad}")
        return value

    @model_validator(mode="after")
    def _one_rate_per_slot(self) -> ModelSpec:
        seen: set[tuple[int | None, str | None]] = set()
        for rate in self.rates:
            slot = (rate.resolution, rate.sound)
            if slot in seen:
                raise ValueError(
                    f"rates: two rates for resolution {json.dumps(rate.resolution)} "
                    f"and sound {json.dumps(rate.sound)}"
                )
            seen.add(slot)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelSpec):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(json.dumps(self._identity(), sort_keys=True))

    def _identity(self) -> dict[str, Any]:
        return self.model_dump(exclude={"source", "as_of", "file"})

    @property
    def label(self) -> str:
        """Messages name the model: ``kling-2.6 (Kling 2.6)``, or just the id when the name adds nothing."""
        if self.name.casefold() == self.id.casefold():
            return self.id
        return f"{self.id} ({self.name})"

    def to_json(self) -> dict[str, Any]:
        """The entry in the data file's shape, every key spelled out (``--json`` seeds override files)."""
        return {
            "name": self.name,
            "id": self.id,
            "submit_name": self.submit_name,
            "submit_aliases": list(self.submit_aliases),
            "input_mode": self.input_mode,
            "resolutions": None if self.resolutions is None else list(self.resolutions),
            "durations": None if self.durations is None else self.durations.to_json(),
            "aspect_ratios": None if self.aspect_ratios is None else list(self.aspect_ratios),
            "native_audio": self.native_audio,
            "prompt_required": self.prompt_required,
            "rates": [rate.to_json() for rate in self.rates] if self.rates else None,
            "source": self.source,
            "as_of": self.as_of,
        }


def build_spec(entry: dict[str, Any], file: str) -> ModelSpec:
    """Validate one raw entry read from ``file``; raises ValueError with one ``field: problem`` per line."""
    try:
        return ModelSpec.model_validate(entry, context={"file": file})
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
