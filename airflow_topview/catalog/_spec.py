"""What one model can do and cost (plain frozen dataclasses, cheap to import), and the lookup table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from airflow_topview.catalog._suggest import closest

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

InputMode = Literal["first_end", "single", "multi_ref"]
Sound = Literal["on", "off"]

# Words and numbers; a number keeps its inner dots ("1.5"), so "Seedance 1.5 Pro" and "seedance-1.5-pro" meet.
_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)*|[^\W\d_]+")
#: ``as_of`` dates, as precise as the source is: a year, a month or a day.
AS_OF = re.compile(r"20[0-9]{2}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?")


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
    the shape from its input image and TopView rejects an ``aspectRatio`` (code 4000). ``rates`` empty:
    TopView has not published the model's price, so no estimate is possible.
    """

    name: str
    id: str
    input_mode: InputMode
    resolutions: tuple[int, ...] | None
    durations: Durations | None
    aspect_ratios: tuple[str, ...] | None
    native_audio: bool
    rates: tuple[Rate, ...]
    #: Where the entry's facts come from (a text, or the override file's path when it names none).
    source: str = field(default="", compare=False)
    #: What goes into the submit body's ``model``: TopView takes display names, so ``name`` unless overridden.
    submit_name: str = ""
    #: Other spellings TopView documents for ``model`` (the kebab ids its docs page shows).
    submit_aliases: tuple[str, ...] = ()
    #: TopView fails the model's tasks without a prompt ("Prompt is required").
    prompt_required: bool = False
    #: When ``source`` said so: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; None when unknown.
    as_of: str | None = field(default=None, compare=False)
    #: The file the entry was read from (the packaged table or an override file); for messages only.
    file: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.submit_name:
            object.__setattr__(self, "submit_name", self.name)

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


class Catalog:
    """The model table, looked up by display name or id whatever the case or punctuation.

    An unknown model is ``None``, never an error: TopView adds models more often than we release.
    """

    def __init__(self, specs: Iterable[ModelSpec], sources: Sequence[str] = ()) -> None:
        self._specs = tuple(specs)
        self.sources = tuple(sources)
        self._index: dict[str, ModelSpec] = {}
        # Ids and names first, so a submit name never takes over another model's own name.
        for spec in self._specs:
            for key in (model_key(spec.id), model_key(spec.name)):
                self._index.setdefault(key, spec)
        for spec in self._specs:
            for text in (spec.submit_name, *spec.submit_aliases):
                self._index.setdefault(model_key(text), spec)

    def find(self, model: str | None) -> ModelSpec | None:
        """The spec of ``model`` (name, id or submit name, any spelling); None when the table lacks it."""
        if not model:
            return None
        return self._index.get(model_key(model))

    def submit_name(self, model: str) -> str:
        """What to send as the submit body's ``model``: a known model's submit name, else ``model`` as given.

        TopView's own client sends display names (``"Seedance 1.5 Pro"``), case-sensitive, not code names;
        a model the table does not know may be newer than the table, so it goes out exactly as written.
        """
        spec = self.find(model)
        return spec.submit_name if spec is not None else model

    def suggest(self, model: str) -> ModelSpec | None:
        """The known model an unknown ``model`` is likely a typo of (``"Kling V33"`` -> Kling V3), else None.

        A hint for messages only, never a reason to reject: a near name may be a model newer than the table.
        None when ``model`` is known, when nothing is close, or when two models are equally close.
        """
        if not model or self.find(model) is not None:
            return None
        return closest(model_key(model), self._index)

    def known_submit_names(self) -> frozenset[str]:
        """Every exact spelling the table expects TopView to take as ``model`` (submit names and aliases)."""
        return frozenset(text for spec in self._specs for text in (spec.submit_name, *spec.submit_aliases))

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.find(model) is not None

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Catalog({len(self._specs)} models from {', '.join(self.sources) or 'nowhere'})"
