"""What one model can do and cost (plain frozen dataclasses, cheap to import), and the lookup table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

InputMode = Literal["first_end", "single", "multi_ref"]
Sound = Literal["on", "off"]

# Words and numbers; a number keeps its inner dots ("1.5"), so "Seedance 1.5 Pro" and "seedance-1.5-pro" meet.
_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)*|[^\W\d_]+")


def model_key(model: str) -> str:
    """The lookup key of a model name or id: case, spacing and punctuation do not count.

    ``"Seedance 1.5 Pro"``, ``"seedance-1.5-pro"`` and ``"SEEDANCE_1.5_PRO"`` share one key, as do
    ``"Kling V3"``, ``"kling-v3"`` and ``"KlingV3"``. Two numbers stay apart (``"kling 2 6"`` is not
    ``"kling 2.6"``), so a separator only matters where it is the only thing between two digits.
    """
    key = ""
    previous_numeric = False
    for token in _TOKEN.findall(model.casefold()):
        numeric = token[0].isdigit()
        if numeric and previous_numeric:
            key += "-"
        key += token
        previous_numeric = numeric
    return key


def kebab_id(name: str) -> str:
    """A kebab id for a model that has only a display name (``"Kling O3"`` -> ``"kling-o3"``)."""
    return "-".join(_TOKEN.findall(name.casefold()))


def join_or(items: Sequence[object]) -> str:
    """``[5, 10, 12]`` -> ``"5, 10 or 12"``: how allowed values read in a message."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True, slots=True)
class Durations:
    """Allowed video lengths in seconds: a closed range (``minimum``..``maximum``) or a list of ``values``."""

    minimum: int | None = None
    maximum: int | None = None
    values: tuple[int, ...] | None = None

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


@dataclass(frozen=True, slots=True)
class Rate:
    """Credits per second of video for one video, at a resolution (None = any) and sound (None = either)."""

    resolution: int | None
    sound: Sound | None
    credits_per_second: float

    def matches(self, resolution: int | None, sound: str) -> bool:
        return self.resolution in (None, resolution) and self.sound in (None, sound)

    def to_json(self) -> dict[str, Any]:
        return {
            "resolution": self.resolution,
            "sound": self.sound,
            "credits_per_second": self.credits_per_second,
        }


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model's capabilities and prices, as the data file describes them.

    ``resolutions`` / ``durations`` None: any value (not checked). ``aspect_ratios`` None: the model takes
    the shape from its input image and TopView rejects an ``aspectRatio`` (code 4000).
    """

    name: str
    id: str
    input_mode: InputMode
    resolutions: tuple[int, ...] | None
    durations: Durations | None
    aspect_ratios: tuple[str, ...] | None
    native_audio: bool
    rates: tuple[Rate, ...]
    #: The file the entry came from (the packaged table or an override file); for messages only.
    source: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """Messages name the model: ``kling-2.6 (Kling 2.6)``, or just the id when the name adds nothing."""
        if self.name.casefold() == self.id.casefold():
            return self.id
        return f"{self.id} ({self.name})"

    def to_json(self) -> dict[str, Any]:
        """The entry in the data file's own shape (so ``--json`` output can seed an override file)."""
        return {
            "name": self.name,
            "id": self.id,
            "input_mode": self.input_mode,
            "resolutions": None if self.resolutions is None else list(self.resolutions),
            "durations": None if self.durations is None else self.durations.to_json(),
            "aspect_ratios": None if self.aspect_ratios is None else list(self.aspect_ratios),
            "native_audio": self.native_audio,
            "rates": [rate.to_json() for rate in self.rates],
        }


class Catalog:
    """The model table, looked up by display name or id whatever the case or punctuation.

    An unknown model is ``None``, never an error: TopView adds models more often than we release.
    """

    def __init__(self, specs: Iterable[ModelSpec], sources: Sequence[str] = ()) -> None:
        self._specs = tuple(specs)
        self.sources = tuple(sources)
        self._index: dict[str, ModelSpec] = {}
        for spec in self._specs:
            for key in (model_key(spec.id), model_key(spec.name)):
                self._index.setdefault(key, spec)

    def find(self, model: str | None) -> ModelSpec | None:
        """The spec of ``model`` (name or id, any spelling), or None when the table does not know it."""
        if not model:
            return None
        return self._index.get(model_key(model))

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.find(model) is not None

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Catalog({len(self._specs)} models from {', '.join(self.sources) or 'nowhere'})"
