"""The table as TopView publishes it now: new unpriced models, prompt-required models, provenance, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.catalog import (
    CatalogError,
    ModelSpec,
    UnknownCostError,
    check_request,
    estimate_cost,
    get_catalog,
    load_catalog,
)
from airflow_topview.client.request import ImageToVideoRequest
from tests.unit.test_catalog import ENV, NEW_MODEL, run_cli, valid_params, write_models

NEW_MODELS = {
    # id: (resolutions, durations as (min, max) or values, native audio, input mode)
    "seedance-2.0-mini": ((480, 720), (4, 15), True, "first_end"),
    "gemini-omni-flash": ((720, 1080, 2160), [4, 6, 8, 10], False, "first_end"),
    "happy-horse-1.1": ((720, 1080), (3, 15), True, "single"),
}
PROMPT_REQUIRED = [
    "sora-2",
    "sora-2-pro",
    "veo-3.1",
    "veo-3.1-reference-to-video",
    "veo-3.1-fast",
    "veo-3.1-fast-reference-to-video",
]

pytestmark = pytest.mark.usefixtures("fresh_catalog")


def spec_of(model: str) -> ModelSpec:
    spec = load_catalog().find(model)
    assert spec is not None, model
    return spec


# --- the three new models -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", NEW_MODELS)
def test_new_model_capabilities(model_id: str) -> None:
    resolutions, durations, audio, mode = NEW_MODELS[model_id]
    spec = spec_of(model_id)
    assert spec.input_mode == mode
    assert spec.resolutions == resolutions
    assert spec.durations is not None
    if isinstance(durations, tuple):
        assert (spec.durations.minimum, spec.durations.maximum) == durations
    else:
        assert spec.durations.values == tuple(durations)
    assert spec.native_audio is audio
    assert spec.rates == ()
    assert spec.as_of == "2026"
    if mode == "single":  # TopView's client references say so: a start frame only
        assert "a start frame only" in spec.source
    else:
        assert "Assumed: input_mode first_end" in spec.source
    assert "credit rate not published" in spec.source
    assert check_request(ImageToVideoRequest(**valid_params(spec)), spec) == []


def test_gemini_omni_flash_takes_exactly_four_durations() -> None:
    spec = spec_of("Gemini Omni Flash")
    request = ImageToVideoRequest(**{**valid_params(spec), "duration": 5})
    assert check_request(request, spec) == [
        "duration: gemini-omni-flash (Gemini Omni Flash) takes 4, 6, 8 or 10 seconds, got 5"
    ]
    assert "replaces the retired Topview Omni" in spec.source


@pytest.mark.parametrize("model_id", NEW_MODELS)
def test_new_model_cost_is_unknown_and_says_how_to_add_a_rate(model_id: str, tmp_path: Path) -> None:
    spec = spec_of(model_id)
    request = ImageToVideoRequest(**valid_params(spec))
    with pytest.raises(UnknownCostError) as caught:
        estimate_cost(request, spec)
    message = str(caught.value)
    assert message.startswith(f"cannot estimate credits for {spec.label}: the model table has no credit rate")
    for part in ("TopView has not published one", "[topview] models_file", ENV, "operator's models_file"):
        assert part in message
    # the example in the message is a working models file
    example = re.search(r"e\.g\. (\{.*?\}\]\}\]\})", message)
    assert example is not None, message
    path = tmp_path / "rates.json"
    path.write_text(example.group(1), "utf-8")
    priced = get_catalog(path).find(model_id)
    assert priced is not None
    assert priced.resolutions == spec.resolutions  # only the rate was added
    assert estimate_cost(request, priced).credits == pytest.approx(
        1.0 * (request.duration or 0) * (request.generating_count or 1)
    )


def test_rates_null_round_trips_and_the_simulator_still_charges() -> None:
    from airflow_topview.testing.pricing import UNKNOWN_MODEL_RATE, rate_per_second

    assert spec_of("happy-horse-1.1").to_json()["rates"] is None
    assert rate_per_second("Happy Horse 1.1", 720, "on") == UNKNOWN_MODEL_RATE


# --- prompt-required models ---------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", PROMPT_REQUIRED)
def test_missing_prompt_is_a_problem(model_id: str) -> None:
    spec = spec_of(model_id)
    assert spec.prompt_required
    without = {key: value for key, value in valid_params(spec).items() if key != "prompt"}
    problems = check_request(ImageToVideoRequest(**without), spec)
    assert problems == [
        f'prompt: {spec.label} needs a prompt (TopView fails its tasks without one: "Prompt is required"); '
        "set prompt"
    ]
    assert check_request(ImageToVideoRequest(**without, prompt="a fox"), spec) == []


def test_only_sora_2_and_veo_3_1_need_a_prompt() -> None:
    assert [spec.id for spec in load_catalog() if spec.prompt_required] == PROMPT_REQUIRED
    kling = spec_of("kling-v3")
    assert check_request(ImageToVideoRequest(model="kling-v3", first_frame_file_id="f"), kling) == []


def test_prompt_required_can_be_switched_off_in_a_models_file(tmp_path: Path) -> None:
    path = write_models(tmp_path / "m.json", {"id": "sora-2", "prompt_required": False})
    spec = load_catalog([path]).find("Sora 2")
    assert spec is not None
    assert check_request(ImageToVideoRequest(model="sora-2", first_frame_file_id="f"), spec) == []


# --- source and as_of ---------------------------------------------------------------------------------


def test_every_entry_says_where_it_comes_from_and_when() -> None:
    for spec in load_catalog():
        assert spec.file == "airflow_topview/data/topview-models.json (packaged)"
        if spec.confidence == "low":  # seen by third parties, not in TopView's tables
            assert spec.source.startswith("Third-party report, 2026-09"), spec.id
            assert spec.as_of == "2026-09"
            continue
        assert spec.source.startswith(("TopView's published", "TopView client model references")), spec.id
        assert spec.as_of == "2026"
    assert "Prompt is required" in spec_of("veo-3.1").source
    assert "kebab id" in spec_of("kling-v3").source


def test_file_defaults_and_entry_values(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    document = {
        "source": "our account's task records",
        "as_of": "2026-11",
        "models": [NEW_MODEL, {**NEW_MODEL, "id": "gen-two", "name": "Gen Two", "as_of": "2026-11-20"}],
    }
    path.write_text(json.dumps(document), "utf-8")
    catalog = load_catalog([path])
    first, second = catalog.find("gen-next"), catalog.find("gen-two")
    assert first is not None
    assert second is not None
    assert (first.source, first.as_of) == ("our account's task records", "2026-11")
    assert (second.source, second.as_of) == ("our account's task records", "2026-11-20")
    # no source anywhere: the file is the source, the date unknown
    bare = load_catalog([write_models(tmp_path / "bare.json", NEW_MODEL)]).find("gen-next")
    assert bare is not None
    assert (bare.source, bare.as_of) == (str(tmp_path / "bare.json"), None)


def test_amendments_cite_themselves_over_the_old_source(tmp_path: Path) -> None:
    first = write_models(tmp_path / "a.json", {"id": "kling-2.6", "durations": {"values": [5, 10, 15]}})
    second = tmp_path / "b.json"
    second.write_text(
        json.dumps({"as_of": "2026-12", "models": [{"id": "kling-2.6", "submit_name": "kling"}]})
    )
    spec = load_catalog([first, second]).find("kling-2.6")
    assert spec is not None
    assert spec.source == (
        f"{second} (submit_name) over {first} (durations) over "
        "TopView's published Image-to-Video V2 model and credit tables"
    )
    assert spec.as_of == "2026-12"
    assert spec.file == str(second)


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"models": [{**NEW_MODEL, "as_of": "last week"}]}, "as_of: must be a date like 2026"),
        ({"models": [{**NEW_MODEL, "as_of": "2026-13"}]}, "as_of: must be a date like 2026"),
        ({"models": [{**NEW_MODEL, "source": " "}]}, "source: must say where the entry comes from"),
        ({"as_of": "soon", "models": [NEW_MODEL]}, "top-level as_of must be a date"),
        ({"source": 5, "models": [NEW_MODEL]}, "top-level source must be a non-empty text"),
    ],
)
def test_bad_provenance(tmp_path: Path, document: dict[str, Any], complaint: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), "utf-8")
    with pytest.raises(CatalogError, match=re.escape(complaint)) as caught:
        load_catalog([path])
    assert str(path) in str(caught.value)


def test_json_output_reloads_to_the_same_table(tmp_path: Path) -> None:
    result = run_cli("--json", "--no-config")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "copy.json"
    path.write_text(result.stdout, "utf-8")
    copy = load_catalog([path], include_packaged=False)
    original = load_catalog()
    assert list(copy) == list(original)
    assert [(spec.source, spec.as_of) for spec in copy] == [(spec.source, spec.as_of) for spec in original]


# --- command line -------------------------------------------------------------------------------------


def test_cli_says_what_is_sent_and_where_entries_come_from(tmp_path: Path) -> None:
    path = write_models(tmp_path / "names.json", {"id": "kling-v3", "submit_name": "kling-v3"})
    result = run_cli("--no-config", "--models-file", str(path), "--task-type", "image2video")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0]
    assert "'sent as model'" in header
    assert "display names, case-sensitive, not code names" in header
    assert "not in this table is sent exactly as written" in header
    assert lines[2] == "== Image-to-Video (image2video) =="
    columns = lines[3]
    for column in ("sent as model", "prompt", "as of", "src", "notes", "credits/s"):
        assert column in columns
    legend = dict(line.strip().split(" ", 1) for line in lines if line.startswith("  ["))
    row = {line.split()[0]: line for line in lines[4:] if line and not line.startswith(" ")}

    def source_of(model_id: str) -> str:
        number = re.search(r"  (\[\d+\])  ", row[model_id])
        assert number is not None, row[model_id]
        return legend[number.group(1)]

    seedance = row["seedance-1.5-pro"]
    assert re.search(r"Seedance 1\.5 Pro +Seedance 1\.5 Pro +first\+end", seedance)
    assert "  2026  " in seedance
    assert "kebab id" in source_of("seedance-1.5-pro")

    kling = row["kling-v3"]
    assert re.search(r"Kling V3 +kling-v3 +first\+end", kling)  # the override's spelling is what goes out
    assert source_of("kling-v3").startswith(f"{path} (submit_name) over TopView's published")
    assert source_of("happy-horse-1.1").startswith("TopView client model references")

    sora = row["sora-2"]
    assert "required" in sora
    assert "optional" in row["kling-2.6"]
    for model_id in NEW_MODELS:
        assert row[model_id].rstrip().endswith("unknown")
    assert "TopView also documents seedance-1.5-pro, kling-v3, sora-2 as model" in result.stdout
