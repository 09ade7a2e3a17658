"""Credit estimates (rate x duration x generatingCount), so ``max_credits`` stops a task before it costs.

Defaults for parameters the request leaves unset (TopView documents only the sound and count defaults,
so the others assume the worst and an estimate never undercounts because something was left out):

- ``sound`` unset -> ``"off"`` (TopView's documented default);
- ``generating_count`` unset -> 1 (TopView's documented default);
- ``duration`` unset -> the model's longest allowed duration (``max``, or the largest of ``values``);
- ``resolution`` unset -> the allowed resolution with the highest rate for that sound (none named when
  every allowed resolution has the same rate).

An estimate that had a duration or resolution to choose is therefore an upper bound
(``CreditEstimate.upper_bound``): its text says "at most" and names what it assumed. Set ``resolution`` and
``duration`` for an exact figure; ``python -m airflow_topview.catalog --estimate`` prices a request before
a run. When no rate fits (a resolution the rates do not cover, a model whose price TopView has not
published, an unset duration on a model with no duration limit), the estimate raises ``UnknownCostError``
rather than guess: a budget check should then fail closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_topview.catalog._loader import CONFIG_ENV, CONFIG_KEY, CONFIG_SECTION
from airflow_topview.exceptions import UnknownCostError

if TYPE_CHECKING:
    from airflow_topview.catalog._spec import ModelSpec, Rate

DEFAULT_SOUND = "off"
DEFAULT_GENERATING_COUNT = 1


@dataclass(frozen=True, slots=True)
class CreditEstimate:
    """An estimate with its working, so a budget error can show how the figure came about."""

    model: str
    credits: float
    credits_per_second: float
    resolution: int | None
    duration: int
    sound: str
    generating_count: int
    #: One note per parameter the request left unset and the estimate priced at its maximum, starting with
    #: the parameter's name, e.g. ``"duration unset: priced at the longest allowed, 12 s"``.
    assumed: tuple[str, ...] = ()
    #: The model entry's confidence: ``low`` when its rates come from third-party reports only.
    confidence: str = "high"

    @property
    def upper_bound(self) -> bool:
        """True when unset parameters were priced at their maximum: the task costs ``credits`` at most."""
        return bool(self.assumed)

    @property
    def unset(self) -> tuple[str, ...]:
        """The parameters priced at their maximum (duration, resolution): set them for an exact figure."""
        return tuple(note.split(" ", 1)[0] for note in self.assumed)

    def __str__(self) -> str:
        at = f"{self.resolution}p, " if self.resolution is not None else ""
        working = (
            f"{self.credits_per_second:g} credits/s x {self.duration} s x {self.generating_count} video(s)"
        )
        if self.upper_bound:
            text = (
                f"{self.model}: at most {self.credits:g} credits ({'; '.join(self.assumed)}): "
                f"{working} ({at}sound {self.sound})"
            )
        else:
            text = f"{self.model}: {working} = {self.credits:g} credits ({at}sound {self.sound})"
        if self.confidence == "low":
            text += "; low confidence: the rates come from third-party reports, not TopView's tables"
        return text


def _best_rate(spec: ModelSpec, resolution: int | None, sound: str) -> Rate | None:
    """The most specific rate for (resolution, sound): exact resolution beats "any", exact sound "either"."""
    fitting = [rate for rate in spec.rates if rate.matches(resolution, sound)]
    if not fitting:
        return None
    return max(fitting, key=lambda rate: (rate.resolution is not None, rate.sound is not None))


def _rates_text(spec: ModelSpec) -> str:
    slots = [f"{rate.resolution or 'any'}/{rate.sound or 'any'}" for rate in spec.rates]
    return ", ".join(slots) if slots else "none"


def _unpriced(spec: ModelSpec) -> UnknownCostError:
    """No rate at all: say how to add one, since TopView publishes new models before their prices."""
    import json

    entry: dict[str, Any] = {"id": spec.id}
    if spec.task_type != "image2video":  # an entry is Image-to-Video unless it says otherwise
        entry["task_type"] = spec.task_type
    entry["rates"] = [{"resolution": None, "sound": None, "credits_per_second": 1.0}]
    example = {"models": [entry]}
    return UnknownCostError(
        f"cannot estimate credits for {spec.label}: the model table has no credit rate for it (TopView has "
        f"not published one). Add the rate in a models file, named by [{CONFIG_SECTION}] {CONFIG_KEY} "
        f"(env {CONFIG_ENV}) or the operator's {CONFIG_KEY} parameter, e.g. {json.dumps(example)} with "
        "1.0 replaced by the credits per second TopView charges (a finished task's costCredit / duration / "
        "generatingCount); a rate may also name a resolution and sound, like the packaged table's rates"
    )


def _field(request: object, name: str) -> Any:
    return getattr(request, name, None)


def estimate_cost(request: object, spec: ModelSpec | None) -> CreditEstimate:
    """Price ``request`` with ``spec``'s rates; see the module docstring for the defaults of unset parameters.

    ``request`` is a request of any task type (a field it lacks counts as unset; Omni Reference sends no
    sound, so its rate is the sound-off one). Raises ``UnknownCostError`` when ``spec`` is None (unknown
    model), has no rates, or no rate fits.
    """
    if spec is None:
        model = _field(request, "model")
        raise UnknownCostError(f"cannot estimate credits: model {model!r} is not in the model table")
    if not spec.rates:
        raise _unpriced(spec)
    assumed: list[str] = []
    sound: str = _field(request, "sound") or DEFAULT_SOUND
    count: int = _field(request, "generating_count") or DEFAULT_GENERATING_COUNT

    duration: int | None = _field(request, "duration")
    edit_longest = spec.durations.longest if spec.video_edit and spec.durations is not None else None
    if edit_longest is not None and duration != edit_longest:
        # TopView follows the input video's length, not ``duration``: price the longest the model edits.
        duration = edit_longest
        assumed.append(f"duration follows the input video: priced at the longest allowed, {duration} s")
    if duration is None:
        duration = spec.durations.longest if spec.durations is not None else None
        if duration is None:
            raise UnknownCostError(
                f"cannot estimate credits for {spec.label}: duration is unset and the table gives no "
                "longest duration; set duration"
            )
        if spec.durations is None or spec.durations.shortest != duration:  # a choice: the longest is a bound
            assumed.append(f"duration unset: priced at the longest allowed, {duration} s")

    resolution: int | None = _field(request, "resolution")
    rate: Rate | None
    if resolution is not None:
        rate = _best_rate(spec, resolution, sound)
        if rate is None:
            raise UnknownCostError(
                f"cannot estimate credits for {spec.label}: no rate for resolution {resolution} with sound "
                f"{sound} (rates cover resolution/sound {_rates_text(spec)})"
            )
    else:
        candidates: tuple[int | None, ...]
        if spec.resolutions is not None:
            candidates = spec.resolutions
        else:
            candidates = tuple(dict.fromkeys(rate.resolution for rate in spec.rates))
        priced = [(r, found) for r in candidates if (found := _best_rate(spec, r, sound)) is not None]
        if not priced:
            raise UnknownCostError(
                f"cannot estimate credits for {spec.label}: no rate with sound {sound} "
                f"(rates cover resolution/sound {_rates_text(spec)})"
            )
        resolution, rate = max(priced, key=lambda pair: pair[1].credits_per_second)
        if len({found.credits_per_second for _, found in priced}) > 1:
            assumed.append(f"resolution unset: priced at the priciest allowed, {resolution}p")
        elif len(priced) > 1:  # the same rate at every allowed resolution: the figure holds for any of them
            resolution = None

    credits = round(rate.credits_per_second * duration * count, 4)
    return CreditEstimate(
        model=spec.label,
        credits=credits,
        credits_per_second=rate.credits_per_second,
        resolution=resolution,
        duration=duration,
        sound=sound,
        generating_count=count,
        assumed=tuple(assumed),
        confidence=spec.confidence,
    )


def estimate_credits(request: object, spec: ModelSpec | None) -> float:
    """Credits ``request`` should cost, rounded to 4 decimals; ``UnknownCostError`` when unknowable."""
    return estimate_cost(request, spec).credits
