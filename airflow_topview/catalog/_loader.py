"""Reading the model tables: the packaged snapshots, then user files merged over them, validated on first use.

There is one table per task type (``image2video``, ``text2video``, ``omni_reference``). Every file is read
once and holds entries of any task type; a ``Catalog`` is the table of one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from airflow_topview.catalog._files import (
    DEFAULT_TASK_TYPE,
    PACKAGED_RESOURCES,
    PathLike,
    RawEntry,
    describe,
    merge,
    packaged_entries,
    packaged_source,
    read_file,
    resolved,
    task_type_of,
)
from airflow_topview.catalog._table import Catalog
from airflow_topview.client.task_types import TASK_TYPES
from airflow_topview.exceptions import CatalogError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from airflow_topview.catalog._spec import ModelSpec

#: The Image-to-Video table (the first packaged table); the others are in ``PACKAGED_RESOURCES``.
PACKAGED_RESOURCE = PACKAGED_RESOURCES[DEFAULT_TASK_TYPE]
PACKAGED_SOURCE = packaged_source(DEFAULT_TASK_TYPE)
CONFIG_SECTION = "topview"
CONFIG_KEY = "models_file"
CONFIG_ENV = "AIRFLOW__TOPVIEW__MODELS_FILE"

#: Every task type's table, by TaskType key.
Catalogs = dict[str, Catalog]


def _check_task_type(task_type: str) -> str:
    if task_type not in TASK_TYPES:
        raise CatalogError(f"task_type: must be one of {', '.join(TASK_TYPES)}, got {task_type!r}")
    return task_type


def _retirement_problems(catalog: Catalog, raws: dict[int, RawEntry]) -> list[tuple[str, int, str]]:
    """A retired model's alternatives must be models of the same table (the notice names them)."""
    problems = []
    for spec in catalog:
        if spec.retired is None:
            continue
        missing = [name for name in spec.retired.alternatives if catalog.find(name) is None]
        if missing:
            source, index, entry, _ = raws[id(spec)]
            problems.append(
                (
                    source,
                    index,
                    f"{describe(source, index, entry)}: retired.alternatives: {missing[0]!r} is not a "
                    f"{catalog.task_type} model of the table",
                )
            )
    return problems


def _build(entries: list[RawEntry], files: list[str], files_by_type: dict[str, list[str]]) -> Catalogs:
    from airflow_topview.catalog._spec import build_spec

    specs: dict[str, list[ModelSpec]] = {key: [] for key in TASK_TYPES}
    raws: dict[int, RawEntry] = {}
    problems: list[tuple[str, int, str]] = []
    for raw in entries:
        source, index, entry, _ = raw
        try:
            spec = build_spec(resolved(raw), source)
        except ValueError as exc:
            problems.append((source, index, f"{describe(source, index, entry)}: {exc}"))
            continue
        specs[task_type_of(raw)].append(spec)
        raws[id(spec)] = raw
    catalogs = {key: Catalog(found, files_by_type[key], key) for key, found in specs.items()}
    if not problems:
        for catalog in catalogs.values():
            problems.extend(_retirement_problems(catalog, raws))
    if problems:

        def order(problem: tuple[str, int, str]) -> tuple[int, int]:
            return (files.index(problem[0]) if problem[0] in files else len(files), problem[1])

        lines = [line for _, _, line in sorted(problems, key=order)]
        raise CatalogError("invalid TopView model table:\n  " + "\n  ".join(lines))
    return catalogs


def _load(paths: Iterable[tuple[PathLike, str]], *, include_packaged: bool = True) -> Catalogs:
    entries = list(packaged_entries()) if include_packaged else []
    packaged = [packaged_source(key) for key in PACKAGED_RESOURCES] if include_packaged else []
    files = list(packaged)
    files_by_type = {key: [packaged_source(key)] if include_packaged else [] for key in TASK_TYPES}
    for path, origin in paths:
        read = read_file(path, origin)
        entries = merge(entries, read)
        label = str(Path(path).expanduser())
        files.append(label)
        types = {task_type_of(raw) for raw in read} or {DEFAULT_TASK_TYPE}
        for key in types:
            files_by_type[key].append(label)
    return _build(entries, files, files_by_type)


def load_catalogs(extra_paths: Iterable[PathLike] = (), *, include_packaged: bool = True) -> Catalogs:
    """Every task type's table, by TaskType key, from one read of the files (see ``load_catalog``)."""
    return _load(((path, "") for path in extra_paths), include_packaged=include_packaged)


def load_catalog(
    extra_paths: Iterable[PathLike] = (),
    *,
    include_packaged: bool = True,
    task_type: str = DEFAULT_TASK_TYPE,
) -> Catalog:
    """Build a fresh table of ``task_type``: the packaged snapshots with each of ``extra_paths`` merged over.

    Every file has the packaged files' shape (``{"models": [...]}``, optional top-level ``task_type``,
    default ``image2video``; an entry may name its own). An entry whose task type and id or name match an
    existing model replaces it (keys it leaves out are kept from the old entry); any other entry is added.
    Every task type's entries are validated, whichever table is asked for. Not cached and blind to Airflow
    config: ``get_catalog`` is what operators use. Raises ``CatalogError`` naming the file and entry when a
    file is missing or an entry is invalid, and for an unknown ``task_type``.
    """
    _check_task_type(task_type)
    return load_catalogs(extra_paths, include_packaged=include_packaged)[task_type]


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
_cache: dict[tuple[tuple[str, int, int, str], ...], Catalogs] = {}


def _stamp(path: PathLike, origin: str) -> tuple[str, int, int, str]:
    """A cache key part that changes when the file does, so edits show up without a restart."""
    resolved_path = Path(path).expanduser().resolve()
    try:
        stat = resolved_path.stat()
    except FileNotFoundError:
        raise CatalogError(f"models file {str(resolved_path)!r} not found{origin}") from None
    except OSError as exc:
        raise CatalogError(f"models file {str(resolved_path)!r} cannot be read{origin}: {exc}") from None
    return (str(resolved_path), stat.st_mtime_ns, stat.st_size, origin)


def get_catalog(extra_path: PathLike | None = None, task_type: str = DEFAULT_TASK_TYPE) -> Catalog:
    """The table operators check against: packaged + ``[topview] models_file`` + ``extra_path``, in order.

    ``extra_path`` is e.g. the operator's ``models_file`` parameter or a connection extra; ``task_type`` a
    TaskType key. Cached per distinct set of files (and their modification times), every task type's table
    from one load; ``reset_catalog_cache()`` forgets everything.
    """
    _check_task_type(task_type)
    wanted: list[tuple[PathLike, str]] = []
    configured = configured_models_file()
    if configured:
        wanted.append((configured, f" (from [{CONFIG_SECTION}] {CONFIG_KEY} / {CONFIG_ENV})"))
    if extra_path is not None and str(extra_path).strip():
        wanted.append((extra_path, ""))
    key = tuple(_stamp(path, origin) for path, origin in wanted)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is None:
        cached = _load((path, origin) for path, _, _, origin in key)
        with _cache_lock:
            if len(_cache) >= 32:
                _cache.clear()
            cached = _cache.setdefault(key, cached)
    return cached[task_type]


def reset_catalog_cache() -> None:
    """Forget every loaded table, packaged ones included (for tests, or after replacing files in place)."""
    with _cache_lock:
        _cache.clear()
    packaged_entries.cache_clear()
