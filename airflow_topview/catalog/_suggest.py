"""A small bounded edit distance, so an unknown model name can be met with "did you mean ...?"."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Mapping

T = TypeVar("T")


def allowed_edits(key: str) -> int:
    """How many edits still read as a typo: short keys tolerate one, long ones up to three."""
    if len(key) <= 5:
        return 1
    return 2 if len(key) <= 11 else 3


def distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap neighbours) from ``a`` to ``b``; ``limit + 1`` past ``limit``.

    Stops as soon as a whole row exceeds ``limit``, so far names cost a few cells, not the full table.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, before_previous[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before_previous, previous = previous, current
    return min(previous[-1], limit + 1)


def _other_version(a: str, b: str) -> bool:
    """As many digits as ``b``, but others (``kling v4`` for ``kling v3``): a newer model, not a typo."""
    digits_a = [char for char in a if char.isdigit()]
    digits_b = [char for char in b if char.isdigit()]
    return len(digits_a) == len(digits_b) and digits_a != digits_b


def closest(key: str, candidates: Mapping[str, T]) -> T | None:
    """The item whose key is nearest ``key`` within ``allowed_edits(key)``; None when none is, or on a tie."""
    if not key:
        return None
    limit = allowed_edits(key)
    best = limit + 1
    found: list[T] = []
    for text, item in candidates.items():
        if _other_version(key, text):
            continue
        edits = distance(key, text, min(limit, best))
        if edits < best:
            best, found = edits, [item]
        elif edits == best <= limit and not any(item is seen for seen in found):
            found.append(item)
    return found[0] if len(found) == 1 else None
