"""Reading the model table: the packaged snapshot, then user files merged over it, validated on first use."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_topview.catalog._names import AS_OF, model_key
from airflow_topview.catalog._table import Catalog
from airflow_topview.exceptions import CatalogError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from airflow_topview.catalog._spec import ModelSpec

PACKAGED_RESOURCE = "data/topview-models.json"
PACKAGED_SOURCE = f"airflow_topview/{PACKAGED_RESOURCE} (packaged)"
CONFIG_SECTION = "topview"
CONFIG_KEY = "models_file"
CONFIG_ENV = "AIRFLOW__TOPVIEW__MODELS_FILE"

PathLike = str | os.PathLike[str]
# (file label, index in its file, the raw entry, the file's top-level source/as_of); before validation.
_RawEntry = tuple[str, int, dict[str, Any], dict[str, str]]
# An override entry that sets all of these replaces a model outright; one that sets fewer amends it.
_CAPABILITIES = frozenset(
    ("input_mode", "resolutions", "durations", "aspect_ratios", "native_audio", "rates")
)


def _parse(text: str, source: str) -> list[_RawEntry]:
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
    entries: list[_RawEntry] = []
    for index, entry in enumerate(document["models"]):
        if not isinstance(entry, dict):
            raise CatalogError(f"{source}: models[{index}] must be an object, got {type(entry).__name__}")
        entries.append((source, index, entry, defaults))
    claimed: dict[str, int] = {}
    for _, index, entry, _ in entries:
        for key in set(_identity(entry)):
            if key in claimed:
                raise CatalogError(
                    f"{_describe(source, index, entry)} names the same model as models[{claimed[key]}]"
                )
            claimed[key] = index
    return entries


def _file_defaults(document: dict[str, Any], source: str) -> dict[str, str]:
    """The top-level ``source`` / ``as_of``: what every entry of the file says unless it says otherwise."""
    defaults: dict[str, str] = {}
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


def _resolved(raw: _RawEntry) -> dict[str, Any]:
    """The entry with its file's defaults filled in; with no source given anywhere, the file is the source."""
    label, _, entry, defaults = raw
    return {"source": label, **defaults, **entry}


def _identity(entry: dict[str, Any]) -> list[str]:
    """The lookup keys an entry claims (its id and name)."""
    keys = []
    for field in ("id", "name"):
        value = entry.get(field)
        if isinstance(value, str) and model_key(value):
            keys.append(model_key(value))
    return keys


def _describe(source: str, index: int, entry: dict[str, Any]) -> str:
    ident = entry.get("id") or entry.get("name")
    return f"{source}: models[{index}]" + (f" ({ident!r})" if ident else "")


@functools.cache
def _packaged_entries() -> tuple[_RawEntry, ...]:
    """The packaged table, read once per process (never at import)."""
    from importlib import resources

    text = resources.files("airflow_topview").joinpath(PACKAGED_RESOURCE).read_text("utf-8")
    return tuple(_parse(text, PACKAGED_SOURCE))


def _read_file(path: PathLike, origin: str = "") -> list[_RawEntry]:
    resolved = Path(path).expanduser()
    source = str(resolved)
    try:
        text = resolved.read_text("utf-8")
    except FileNotFoundError:
        raise CatalogError(f"models file {source!r} not found{origin}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"models file {source!r} cannot be read{origin}: {exc}") from None
    return _parse(text, source)


def _merge(base: list[_RawEntry], overrides: list[_RawEntry]) -> list[_RawEntry]:
    """Lay ``overrides`` over ``base``: a matching id or name replaces an entry in place, others are appended.

    The replacement is shallow: keys an override leaves out keep the values of the entry it replaces, so
    ``{"id": "kling-2.6", "durations": {"values": [5, 10, 15]}}`` changes only the durations. Unless the
    override names its own ``source``, an amended entry cites both: ``m.json (durations) over <old source>``;
    its ``as_of`` is the override's when given, else the old one.
    """
    # Linear in the entries: each lookup key owns one slot, instead of a scan of the table per override.
    slots: dict[int, _RawEntry] = {}
    owner: dict[str, int] = {}

    def put(pos: int, raw: _RawEntry) -> None:
        slots[pos] = raw
        for key in _identity(raw[2]):
            owner.setdefault(key, pos)

    def drop(pos: int) -> None:
        for key in _identity(slots.pop(pos)[2]):
            if owner.get(key) == pos:
                del owner[key]

    for pos, raw in enumerate(base):
        put(pos, raw)
    next_pos = len(base)
    for raw in overrides:
        label, index, entry, defaults = raw
        hits = sorted({owner[key] for key in _identity(entry) if key in owner})
        if not hits:
            put(next_pos, raw)
            next_pos += 1
            continue
        combined: dict[str, Any] = {}
        for pos in hits:
            combined.update(_resolved(slots[pos]))
        old_source = combined["source"]
        combined.update(_resolved(raw))
        if "source" not in entry and not entry.keys() >= _CAPABILITIES:
            changed = [key for key in entry if key not in ("id", "name", "as_of")]
            what = f" ({', '.join(changed)})" if changed else ""
            combined["source"] = f"{defaults.get('source', label)}{what} over {old_source}"
        for pos in hits:
            drop(pos)
        put(hits[0], (label, index, combined, {}))
    return [slots[pos] for pos in sorted(slots)]


def _build(entries: list[_RawEntry], sources: list[str]) -> Catalog:
    from airflow_topview.catalog._spec import build_spec

    specs: list[ModelSpec] = []
    problems: list[tuple[int, int, str]] = []
    for raw in entries:
        source, index, entry, _ = raw
        try:
            specs.append(build_spec(_resolved(raw), source))
        except ValueError as exc:
            where = sources.index(source) if source in sources else len(sources)
            problems.append((where, index, f"{_describe(source, index, entry)}: {exc}"))
    if problems:
        lines = [line for _, _, line in sorted(problems)]
        raise CatalogError("invalid TopView model table:\n  " + "\n  ".join(lines))
    return Catalog(specs, sources)


def _load(paths: Iterable[tuple[PathLike, str]], *, include_packaged: bool = True) -> Catalog:
    entries = list(_packaged_entries()) if include_packaged else []
    sources = [PACKAGED_SOURCE] if include_packaged else []
    for path, origin in paths:
        entries = _merge(entries, _read_file(path, origin))
        sources.append(str(Path(path).expanduser()))
    return _build(entries, sources)


def load_catalog(extra_paths: Iterable[PathLike] = (), *, include_packaged: bool = True) -> Catalog:
    """Build a fresh table: the packaged snapshot with each of ``extra_paths`` merged over it, in order.

    Every file has the packaged file's shape (``{"models": [...]}``). An entry whose id or name matches an
    existing model replaces it (keys it leaves out are kept from the old entry); any other entry is added.
    Not cached and blind to Airflow config: ``get_catalog`` is what operators use.
    Raises ``CatalogError`` naming the file and entry when a file is missing or an entry is invalid.
    """
    return _load(((path, "") for path in extra_paths), include_packaged=include_packaged)


def configured_models_file() -> str | None:
    """The ``[topview] models_file`` Airflow option (env ``AIRFLOW__TOPVIEW__MODELS_FILE``), or None.

    The environment variable is read first without importing Airflow (it wins in Airflow too), which keeps
    the command line fast; otherwise Airflow's config is imported here, never at module import.
    """
    value = os.environ.get(CONFIG_ENV)
    if value is None:
        try:
            from airflow.providers.common.compat.sdk import conf
        except ImportError:  # pragma: no cover - Airflow is a dependency; the table still works without it
            return None
        value = conf.get(CONFIG_SECTION, CONFIG_KEY, fallback=None)
    value = (value or "").strip()
    return value or None


_cache_lock = threading.Lock()
_cache: dict[tuple[tuple[str, int, int, str], ...], Catalog] = {}


def _stamp(path: PathLike, origin: str) -> tuple[str, int, int, str]:
    """A cache key part that changes when the file does, so edits show up without a restart."""
    resolved = Path(path).expanduser().resolve()
    try:
        stat = resolved.stat()
    except FileNotFoundError:
        raise CatalogError(f"models file {str(resolved)!r} not found{origin}") from None
    except OSError as exc:
        raise CatalogError(f"models file {str(resolved)!r} cannot be read{origin}: {exc}") from None
    return (str(resolved), stat.st_mtime_ns, stat.st_size, origin)


def get_catalog(extra_path: PathLike | None = None) -> Catalog:
    """The table operators check against: packaged + ``[topview] models_file`` + ``extra_path``, in order.

    ``extra_path`` is e.g. the operator's ``models_file`` parameter or a connection extra. Cached per distinct
    set of files (and their modification times); ``reset_catalog_cache()`` forgets everything.
    """
    wanted: list[tuple[PathLike, str]] = []
    configured = configured_models_file()
    if configured:
        wanted.append((configured, f" (from [{CONFIG_SECTION}] {CONFIG_KEY} / {CONFIG_ENV})"))
    if extra_path is not None and str(extra_path).strip():
        wanted.append((extra_path, ""))
    key = tuple(_stamp(path, origin) for path, origin in wanted)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    catalog = _load((path, origin) for path, _, _, origin in key)
    with _cache_lock:
        if len(_cache) >= 32:
            _cache.clear()
        _cache[key] = catalog
    return catalog


def reset_catalog_cache() -> None:
    """Forget every loaded table, the packaged one included (for tests, or after replacing files in place)."""
    with _cache_lock:
        _cache.clear()
    _packaged_entries.cache_clear()
