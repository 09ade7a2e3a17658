"""One model's capabilities and prices: one frozen pydantic form, validated from the table's JSON.

The same classes check a ``models[]`` entry (every capability key required: null is a meaning, not a
default) and serve the lookups, checks and estimates. Imported when a table is first loaded.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from airflow_topview.catalog._names import AS_OF, InputMode, kebab_id, model_key
from airflow_topview.catalog._parts import DURATION_SHAPES, STRICT, Durations, Rate, Retirement
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TASK_TYPES

__all__ = ["Durations", "ModelSpec", "Rate", "Retirement", "build_spec"]

_RATIO = re.compile(r"[1-9]\d{0,1}:[1-9]\d{0,1}")
_PARAMETER = re.compile(r"[a-z][a-z0-9_]*")


class ModelSpec(BaseModel):
    """One model's capabilities and prices, for one task type (``task_type``, a TaskType key).

    ``resolutions`` / ``durations`` None: any value (not checked). ``aspect_ratios`` None: the model takes
    no ``aspectRatio`` (Image-to-Video: the shape comes from the input image; TopView rejects one with code
    4000). ``rates`` empty (null in the table): TopView has not published the model's price, so no estimate
    is possible. Two specs are equal when they describe the same model the same way, wherever the facts
    come from.
    """

    model_config = STRICT

    name: str
    id: str
    #: The task type whose table holds the entry (``image2video``, ``text2video``, ``omni_reference``).
    task_type: str = IMAGE_TO_VIDEO.key
    #: What goes into the submit body's ``model``: TopView takes display names, so ``name`` unless overridden.
    submit_name: str
    #: Other spellings TopView documents for ``model`` (the kebab ids its docs page shows).
    submit_aliases: tuple[str, ...] = ()
    #: Names TopView took for this model once and refuses now (``"Topview Omni"``); never looked up.
    former_names: tuple[str, ...] = ()
    #: Image-to-Video only (required there): first_end, single or multi_ref. None for the other task types.
    input_mode: InputMode | None = None
    resolutions: tuple[StrictInt, ...] | None = Field(min_length=1)
    durations: Durations | None
    aspect_ratios: tuple[str, ...] | None = Field(min_length=1)
    native_audio: StrictBool
    #: Omni Reference only: the model takes ``internetSearch`` (Standard and Fast).
    internet_search: StrictBool = False
    #: Omni Reference only: the model edits an input video, so a request needs ``input_videos``.
    video_edit: StrictBool = False
    #: TopView fails the model's tasks without a prompt ("Prompt is required").
    prompt_required: StrictBool = False
    rates: tuple[Rate, ...]
    #: Set when the model is gone upstream: TopView likely refuses it (the entry stays, to say so).
    retired: Retirement | None = None
    #: Operator parameter name -> a warning logged when a request sets that parameter.
    caveats: dict[str, str] = Field(default_factory=dict)
    #: ``low``: the facts (above all the rates) come from third-party reports, not TopView.
    confidence: Literal["high", "low"] = "high"
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
        for key, empty in (("rates", ()), ("former_names", ()), ("caveats", {})):
            if key in data and data[key] is None:
                filled[key] = empty
        return filled

    @field_validator("task_type")
    @classmethod
    def _task_type(cls, value: str) -> str:
        if value not in TASK_TYPES:
            raise ValueError(f"must be one of {', '.join(TASK_TYPES)}, got {value!r}")
        return value

    @field_validator("submit_aliases", "former_names")
    @classmethod
    def _aliases(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if any(not kebab_id(item) or item != item.strip() for item in value):
            what = "alias" if info.field_name == "submit_aliases" else "former name"
            raise ValueError(f"each {what} must name the model exactly as sent (no blank or padded text)")
        return value

    @field_validator("caveats")
    @classmethod
    def _caveats(cls, value: dict[str, str]) -> dict[str, str]:
        for parameter, text in value.items():
            if not _PARAMETER.fullmatch(parameter):
                raise ValueError(
                    f"keys must be operator parameter names like end_frame_file_id, got {parameter!r}"
                )
            if not text.strip():
                raise ValueError(f"{parameter}: must say what to watch out for")
        return {parameter: text.strip() for parameter, text in value.items()}

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
            raise ValueError(f"must be {DURATION_SHAPES} or null, got {value!r}")
        if isinstance(value, dict) and set(value) not in ({"min", "max"}, {"values"}):
            raise ValueError(f"must be {DURATION_SHAPES}, got keys {sorted(value)}")
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

    @model_validator(mode="after")
    def _fits_its_task_type(self) -> ModelSpec:
        """Input modes belong to Image-to-Video; internet search and video editing to Omni Reference."""
        if self.task_type == IMAGE_TO_VIDEO.key and self.input_mode is None:
            raise ValueError("input_mode: an image2video model needs one: first_end, single or multi_ref")
        if self.task_type != IMAGE_TO_VIDEO.key and self.input_mode is not None:
            raise ValueError(
                f"input_mode: only image2video models have one; leave it out for {self.task_type}"
            )
        for flag in ("internet_search", "video_edit"):
            if getattr(self, flag) and self.task_type != OMNI_REFERENCE.key:
                raise ValueError(
                    f"{flag}: only omni_reference models take it; leave it out for {self.task_type}"
                )
        own = {model_key(self.name), model_key(self.id)}
        if clash := [name for name in self.former_names if model_key(name) in own]:
            raise ValueError(f"former_names: {clash[0]!r} is the model's own name")
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
            "task_type": self.task_type,
            "submit_name": self.submit_name,
            "submit_aliases": list(self.submit_aliases),
            "former_names": list(self.former_names),
            "input_mode": self.input_mode,
            "resolutions": None if self.resolutions is None else list(self.resolutions),
            "durations": None if self.durations is None else self.durations.to_json(),
            "aspect_ratios": None if self.aspect_ratios is None else list(self.aspect_ratios),
            "native_audio": self.native_audio,
            "internet_search": self.internet_search,
            "video_edit": self.video_edit,
            "prompt_required": self.prompt_required,
            "rates": [rate.to_json() for rate in self.rates] if self.rates else None,
            "retired": None if self.retired is None else self.retired.to_json(),
            "caveats": dict(self.caveats),
            "confidence": self.confidence,
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
