"""Model-table files as raw entries: the packaged tables, user files, and laying one over another.

Entries stay plain dicts here (no validation beyond the file's shape and each entry's task type): a
model is known by its task type and its id or name, so an override of ``Standard`` for Text-to-Video
never touches Image-to-Video's ``Standard``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from airflow_topview.catalog._names import AS_OF, model_key
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TASK_TYPES, TEXT_TO_VIDEO
from airflow_topview.exceptions import CatalogError

#: The packaged table of each task type, by TaskType key (resource paths inside the package).
PACKAGED_RESOURCES: dict[str, str] = {
    IMAGE_TO_VIDEO.key: "data/topview-models.json",
    TEXT_TO_VIDEO.key: "data/topview-text2video-models.json",
    OMNI_REFERENCE.key: "data/topview-omni-reference-models.json",
}
#: A file's entries are of this task type unless the file (top-level ``task_type``) or entry says otherwise.
DEFAULT_TASK_TYPE = IMAGE_TO_VIDEO.key

PathLike = str | os.PathLike[str]
# (file label, index in its file, the raw entry, the file's top-level source/as_of/task_type); unvalidated.
RawEntry = tuple[str, int, dict[str, Any], dict[str, str]]
# An override entry that sets all of these replaces a model outright; one that sets fewer amends it.
_CAPABILITIES = frozenset(("resolutions", "durations", "aspect_ratios", "native_audio", "rates"))


def packaged_source(task_type: str) -> str:
    """How messages and ``Catalog.sources`` name a packaged table."""
    return f"airflow_topview/{PACKAGED_RESOURCES[task_type]} (packaged)"


def _known() -> str:
    return ", ".join(TASK_TYPES)


def parse(text: str, source: str) -> list[RawEntry]:
    import json

    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CatalogError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise CatalogError(
            f'{source}: expected an object {{"models": [...]}} at the top level, '
            f"got {type(document).__name__}"
        )
    defaults = _file_defaults(document, source)
    entries: list[RawEntry] = []
    for index, entry in enumerate(document["models"]):
        if not isinstance(entry, dict):
            raise CatalogError(f"{source}: models[{index}] must be an object, got {type(entry).__name__}")
        task_type = entry.get("task_type", defaults["task_type"])
        if task_type not in TASK_TYPES:
            raise CatalogError(
                f"{describe(source, index, entry)}: task_type must be one of {_known()}, got {task_type!r}"
            )
        entries.append((source, index, entry, defaults))
    claimed: dict[str, int] = {}
    for raw in entries:
        for key in set(identity(raw)):
            if key in claimed:
                raise CatalogError(
                    f"{describe(source, raw[1], raw[2])} names the same model as models[{claimed[key]}]"
                )
            claimed[key] = raw[1]
    return entries


def _file_defaults(document: dict[str, Any], source: str) -> dict[str, str]:
    """Top-level ``source`` / ``as_of`` / ``task_type``: what every entry says unless it says otherwise."""
    defaults: dict[str, str] = {"task_type": DEFAULT_TASK_TYPE}
    task_type = document.get("task_type")
    if task_type is not None:
        if task_type not in TASK_TYPES:
            raise CatalogError(
                f"{source}: top-level task_type (every entry's default) must be one of {_known()}, "
                f"got {task_type!r}"
            )
        defaults["task_type"] = task_type
    for key in ("source", "as_of"):
        value = document.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise CatalogError(f"{source}: top-level {key} must be a non-empty text, got {value!r}")
        if key == "as_of" and not AS_OF.fullmatch(value):
            raise CatalogError(f"{source}: top-level as_of must be a date like 2026, 2026-09 or 2026-09-30")
        defaults[key] = value.strip()
    return defaults


def task_type_of(raw: RawEntry) -> str:
    return str(raw[2].get("task_type", raw[3]["task_type"]))


def resolved(raw: RawEntry) -> dict[str, Any]:
    """The entry with its file's defaults filled in; with no source given anywhere, the file is the source."""
    label, _, entry, defaults = raw
    return {"source": label, **defaults, **entry}


def identity(raw: RawEntry) -> list[str]:
    """The lookup keys an entry claims: its id and name, within its task type."""
    task_type = task_type_of(raw)
    keys = []
    for field in ("id", "name"):
        value = raw[2].get(field)
        if isinstance(value, str) and model_key(value):
            keys.append(f"{task_type}:{model_key(value)}")
    return keys


def describe(source: str, index: int, entry: dict[str, Any]) -> str:
    ident = entry.get("id") or entry.get("name")
    return f"{source}: models[{index}]" + (f" ({ident!r})" if ident else "")


@functools.cache
def packaged_entries() -> tuple[RawEntry, ...]:
    """Every packaged table, read once per process (never at import); each file's top-level task_type."""
    from importlib import resources

    entries: list[RawEntry] = []
    for task_type, resource in PACKAGED_RESOURCES.items():
        text = resources.files("airflow_topview").joinpath(resource).read_text("utf-8")
        parsed = parse(text, packaged_source(task_type))
        strays = [raw for raw in parsed if task_type_of(raw) != task_type]
        if strays:  # pragma: no cover - a packaging mistake, caught by the tests of the tables
            raise CatalogError(f"{describe(*strays[0][:3])}: the {task_type} table holds another task type")
        entries.extend(parsed)
    return tuple(entries)


def read_file(path: PathLike, origin: str = "") -> list[RawEntry]:
    resolved_path = Path(path).expanduser()
    source = str(resolved_path)
    try:
        text = resolved_path.read_text("utf-8")
    except FileNotFoundError:
        raise CatalogError(f"models file {source!r} not found{origin}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"models file {source!r} cannot be read{origin}: {exc}") from None
    return parse(text, source)


def merge(base: list[RawEntry], overrides: list[RawEntry]) -> list[RawEntry]:
    """Lay ``overrides`` over ``base``: a matching id or name replaces an entry in place, others are appended.

    Matching is within a task type. The replacement is shallow: keys an override leaves out keep the values
    of the entry it replaces, so ``{"id": "kling-2.6", "durations": {"values": [5, 10, 15]}}`` changes only
    the durations. Unless the override names its own ``source``, an amended entry cites both:
    ``m.json (durations) over <old source>``; its ``as_of`` is the override's when given, else the old one.
    """
    # Linear in the entries: each lookup key owns one slot, instead of a scan of the table per override.
    slots: dict[int, RawEntry] = {}
    owner: dict[str, int] = {}

    def put(pos: int, raw: RawEntry) -> None:
        slots[pos] = raw
        for key in identity(raw):
            owner.setdefault(key, pos)

    def drop(pos: int) -> None:
        for key in identity(slots.pop(pos)):
            if owner.get(key) == pos:
                del owner[key]

    for pos, raw in enumerate(base):
        put(pos, raw)
    next_pos = len(base)
    for raw in overrides:
        label, index, entry, defaults = raw
        hits = sorted({owner[key] for key in identity(raw) if key in owner})
        if not hits:
            put(next_pos, raw)
            next_pos += 1
            continue
        combined: dict[str, Any] = {}
        for pos in hits:
            combined.update(resolved(slots[pos]))
        old_source = combined["source"]
        combined.update(resolved(raw))
        whole = _CAPABILITIES | ({"input_mode"} if task_type_of(raw) == IMAGE_TO_VIDEO.key else set())
        if "source" not in entry and not entry.keys() >= whole:
            changed = [key for key in entry if key not in ("id", "name", "as_of", "task_type")]
            what = f" ({', '.join(changed)})" if changed else ""
            combined["source"] = f"{defaults.get('source', label)}{what} over {old_source}"
        for pos in hits:
            drop(pos)
        put(hits[0], (label, index, combined, {"task_type": task_type_of(raw)}))
    return [slots[pos] for pos in sorted(slots)]
