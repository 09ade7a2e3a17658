"""``python -m airflow_topview.catalog``: print the model table the operator validates against."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from airflow_topview.catalog._loader import configured_models_file, load_catalog
from airflow_topview.exceptions import CatalogError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_topview.catalog._spec import ModelSpec

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
    "credits/s",
)
_SENT_AS = (
    "The submit body's model gets the 'sent as model' spelling (the display name unless a models file sets "
    "submit_name): TopView's own client sends display names, case-sensitive, not code names. A model not in "
    "this table is sent exactly as written."
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


def _row(spec: ModelSpec, source_number: int) -> tuple[str, ...]:
    return (
        spec.id,
        spec.name,
        spec.submit_name,
        _MODES.get(spec.input_mode, spec.input_mode),
        "any" if spec.resolutions is None else ",".join(str(value) for value in spec.resolutions),
        _durations(spec),
        "from image" if spec.aspect_ratios is None else ",".join(spec.aspect_ratios),
        "yes" if spec.native_audio else "no",
        "required" if spec.prompt_required else "optional",
        spec.as_of or "?",
        f"[{source_number}]",
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_topview.catalog",
        description="Print the TopView Image-to-Video V2 model table (capabilities and credits per second).",
    )
    parser.add_argument("--json", action="store_true", help="print JSON in the data file's shape")
    parser.add_argument(
        "--models-file",
        action="append",
        default=[],
        metavar="PATH",
        help="merge this file over the table (repeatable; after [topview] models_file)",
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="ignore [topview] models_file / AIRFLOW__TOPVIEW__MODELS_FILE (and do not import Airflow)",
    )
    args = parser.parse_args(argv)

    paths = list(args.models_file)
    if not args.no_config:
        configured = configured_models_file()
        if configured:
            paths.insert(0, configured)
    try:
        catalog = load_catalog(paths)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    specs = list(catalog)
    if args.json:
        document = {"sources": list(catalog.sources), "models": [spec.to_json() for spec in specs]}
        print(json.dumps(document, indent=1))
    else:
        sources = list(dict.fromkeys(spec.source for spec in specs))
        print(_SENT_AS, end="\n\n")
        print(_table(specs, sources))
        print(f"\n{len(specs)} models from {'; '.join(catalog.sources)}")
        print("credits/s: per video at resolution/sound (none given = any); total = rate x seconds x count")
        print("credits/s unknown: TopView has not published a rate; add one in a models file to estimate")
        aliases = [alias for spec in specs for alias in spec.submit_aliases]
        if aliases:
            print(f"TopView also documents {', '.join(aliases)} as model; the display name is sent instead")
        print("src: where each entry comes from (as of: when that source said so)")
        for number, source in enumerate(sources, 1):
            print(f"  [{number}] {source}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `... | head`: stop quietly, like other command-line tools
        sys.stderr.close()
        sys.exit(1)
