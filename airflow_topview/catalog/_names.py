"""How models are named: lookup keys, kebab ids, and how lists of allowed values read in messages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

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
