"""``python -m airflow_topview.catalog``: print the model tables the operators validate against, or price one
submit before a run (``--estimate``, in ``_estimate_cli``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from airflow_topview.catalog import _estimate_cli
from airflow_topview.catalog._files import packaged_source
from airflow_topview.catalog._loader import configured_models_file, load_catalogs
from airflow_topview.client.task_types import TASK_TYPES
from airflow_topview.exceptions import CatalogError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_topview.catalog._spec import ModelSpec
    from airflow_topview.catalog._table import Catalog

_MODES = {"first_end": "first+end", "single": "single", "multi_ref": "multi-ref"}
_HEADERS = (
    "id",
    "name",
    "sent as model",
    "input",
    "resolutions",
    "durations (s)",
    "aspect ratios",
    "audio",
    "prompt",
    "as of",
    "src",
    "notes",
    "credits/s",
)
_SENT_AS = (
    "The submit body's model gets the 'sent as model' spelling (the display name unless a models file sets "
    "submit_name): TopView's own client sends display names, case-sensitive, not code names. A model not in "
    "this table is sent exactly as written."
)
_LEGEND = (
    "credits/s: per video at resolution/sound (none given = any); total = rate x seconds x count",
    "credits/s unknown: TopView has not published a rate; add one in a models file to estimate",
    "notes: retired (date) = gone upstream, TopView likely refuses it; low confidence = third-party reports "
    "only; was X = TopView no longer accepts the name X",
)


def _durations(spec: ModelSpec) -> str:
    if spec.durations is None:
        return "any"
    if spec.durations.values is not None:
        return ",".join(str(value) for value in spec.durations.values)
    return f"{spec.durations.minimum}-{spec.durations.maximum}"


def _rates(spec: ModelSpec) -> str:
    """``720/off 0.12  720/on 0.25``; a rate that does not depend on resolution or sound drops that part."""
    parts = []
    for rate in spec.rates:
        where = "/".join(str(part) for part in (rate.resolution, rate.sound) if part is not None)
        parts.append(f"{where} {rate.credits_per_second:g}" if where else f"{rate.credits_per_second:g}")
    return "  ".join(parts) or "unknown"


def _input(spec: ModelSpec) -> str:
    if spec.input_mode is not None:
        return _MODES.get(spec.input_mode, spec.input_mode)
    if spec.video_edit:
        return "video edit"
    return "refs" if spec.task_type == "omni_reference" else "text"


def _notes(spec: ModelSpec) -> str:
    notes = []
    if spec.retired is not None:
        notes.append(f"retired {spec.retired.on}")
    if spec.confidence == "low":
        notes.append("low confidence")
    if spec.internet_search:
        notes.append("internet search")
    notes.extend(f"was {name}" for name in spec.former_names)
    return "; ".join(notes) or "-"


def _row(spec: ModelSpec, source_number: int) -> tuple[str, ...]:
    no_ratio = "from image" if spec.task_type == "image2video" else "none"
    return (
        spec.id,
        spec.name,
        spec.submit_name,
        _input(spec),
        "any" if spec.resolutions is None else ",".join(str(value) for value in spec.resolutions),
        _durations(spec),
        no_ratio if spec.aspect_ratios is None else ",".join(spec.aspect_ratios),
        "yes" if spec.native_audio else "no",
        "required" if spec.prompt_required else "optional",
        spec.as_of or "?",
        f"[{source_number}]",
        _notes(spec),
        _rates(spec),
    )


def _table(specs: Sequence[ModelSpec], sources: Sequence[str]) -> str:
    rows = [_HEADERS, *(_row(spec, sources.index(spec.source) + 1) for spec in specs)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADERS) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _print_tables(catalogs: Sequence[Catalog]) -> None:
    specs = [spec for catalog in catalogs for spec in catalog]
    sources = list(dict.fromkeys(spec.source for spec in specs))
    print(_SENT_AS)
    for catalog in catalogs:
        label = TASK_TYPES[catalog.task_type].label
        print(f"\n== {label} ({catalog.task_type}) ==")
        print(_table(list(catalog), sources))
        print(f"{len(catalog)} models from {'; '.join(catalog.sources)}")
    print()
    for line in _LEGEND:
        print(line)
    aliases = list(dict.fromkeys(alias for spec in specs for alias in spec.submit_aliases))
    if aliases:
        print(f"TopView also documents {', '.join(aliases)} as model; the display name is sent instead")
    print("src: where each entry comes from (as of: when that source said so)")
    for number, source in enumerate(sources, 1):
        print(f"  [{number}] {source}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_topview.catalog",
        description=(
            "Print TopView's model tables (capabilities and credits per second), one per task type: "
            "Image-to-Video V2, Text-to-Video and Omni Reference; or, with --estimate, the credit "
            "estimate of one submit."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON in the data files' shape")
    parser.add_argument(
        "--task-type",
        choices=list(TASK_TYPES),
        metavar="KEY",
        help=f"only this task type's table; with --estimate, the submit's task type: {', '.join(TASK_TYPES)}",
    )
    parser.add_argument(
        "--models-file",
        action="append",
        default=[],
        metavar="PATH",
        help="merge this file over the tables (repeatable; after [topview] models_file)",
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="ignore [topview] models_file / AIRFLOW__TOPVIEW__MODELS_FILE (and do not import Airflow)",
    )
    _estimate_cli.add_arguments(parser)
    args = parser.parse_args(argv)
    if (problem := _estimate_cli.misuse(args)) is not None:
        parser.error(problem)

    paths = list(args.models_file)
    if not args.no_config:
        configured = configured_models_file()
        if configured:
            paths.insert(0, configured)
    try:
        every = load_catalogs(paths)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    if args.estimate:
        try:
            print(_estimate_cli.report(args, *_estimate_cli.price(args, every)))
        except _estimate_cli.EstimateError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    catalogs = [every[args.task_type]] if args.task_type else list(every.values())
    if args.json:
        # The packaged tables first, then the models files in the order they were laid over them.
        packaged = [packaged_source(catalog.task_type) for catalog in catalogs]
        files = [source for catalog in catalogs for source in catalog.sources if source not in packaged]
        sources = list(dict.fromkeys([*packaged, *files]))
        models = [spec.to_json() for catalog in catalogs for spec in catalog]
        print(json.dumps({"sources": sources, "models": models}, indent=1))
    else:
        _print_tables(catalogs)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `... | head`: stop quietly, like other command-line tools
        sys.stderr.close()
        sys.exit(1)
