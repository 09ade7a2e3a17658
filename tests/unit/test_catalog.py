"""The model catalog: lookup, override files, capability checks over the whole table, estimates, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.catalog import (
    Catalog,
    CatalogError,
    ModelSpec,
    UnknownCostError,
    check_request,
    configured_models_file,
    estimate_cost,
    estimate_credits,
    get_catalog,
    load_catalog,
    model_key,
    reset_catalog_cache,
)
from airflow_topview.client.request import ImageToVideoRequest
from tests.unit.conftest import MODELS_FILE_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV = MODELS_FILE_ENV
_PACKAGED_FILE = json.loads(
    resources.files("airflow_topview").joinpath("data/topview-models.json").read_text("utf-8")
)
_PACKAGED = _PACKAGED_FILE["models"]
MODEL_IDS = [entry["id"] for entry in _PACKAGED]
PRICED_IDS = [entry["id"] for entry in _PACKAGED if entry["rates"]]

pytestmark = pytest.mark.usefixtures("fresh_catalog")


def packaged() -> Catalog:
    return load_catalog()


def spec_of(model_id: str) -> ModelSpec:
    spec = packaged().find(model_id)
    assert spec is not None, model_id
    return spec


def valid_params(spec: ModelSpec) -> dict[str, Any]:
    """A request the spec allows: its input mode, first allowed resolution/duration/ratio, sound if audio."""
    params: dict[str, Any] = {"model": spec.id, "generating_count": 2, "prompt": "a fox in snow"}
    if spec.input_mode == "multi_ref":
        params["reference_image_file_ids"] = ["ref-1", "ref-2", "ref-3"]
    else:
        params["first_frame_file_id"] = "first"
        if spec.input_mode == "first_end":
            params["end_frame_file_id"] = "end"
    params["resolution"] = spec.resolutions[0] if spec.resolutions else 720
    if spec.durations is not None:
        params["duration"] = spec.durations.shortest
    if spec.aspect_ratios:
        params["aspect_ratio"] = spec.aspect_ratios[0]
    params["sound"] = "on" if spec.native_audio else "off"
    return params


def request(**params: Any) -> ImageToVideoRequest:
    return ImageToVideoRequest(**params)


def with_changes(spec: ModelSpec, **changes: Any) -> ImageToVideoRequest:
    params = {**valid_params(spec), **changes}
    return request(**{name: value for name, value in params.items() if value is not None})


# --- the whole table --------------------------------------------------------------------------------


def test_packaged_table_loads_every_entry() -> None:
    catalog = packaged()
    assert [spec.id for spec in catalog] == MODEL_IDS
    assert len(catalog) == len(_PACKAGED) >= 29


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_valid_request_passes(model_id: str) -> None:
    spec = spec_of(model_id)
    assert check_request(request(**valid_params(spec)), spec) == []
    # the same request with every optional parameter left unset passes too (the prompt where it is required)
    minimal = {k: v for k, v in valid_params(spec).items() if k.endswith("file_id") or k.endswith("file_ids")}
    if spec.prompt_required:
        minimal["prompt"] = "a fox"
    assert check_request(request(model=spec.id, **minimal), spec) == []


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_input_mode_violations(model_id: str) -> None:
    spec = spec_of(model_id)
    if spec.input_mode == "multi_ref":
        problems = check_request(
            with_changes(spec, reference_image_file_ids=None, first_frame_file_id="f", end_frame_file_id="e"),
            spec,
        )
        assert len(problems) == 3, problems
        assert problems[0].startswith(
            f"reference_image_file_ids: {spec.label} needs 2 or more reference images"
        )
        assert problems[1].startswith(f"first_frame_file_id: {spec.label} takes reference images only")
        assert problems[2].startswith(f"end_frame_file_id: {spec.label} takes reference images only")
        return
    # reference images next to the first frame: both single and first_end models reject them
    problems = check_request(with_changes(spec, reference_image_file_ids=["r1", "r2"]), spec)
    assert problems == [
        problem for problem in problems if problem.startswith(f"reference_image_file_ids: {spec.label} takes")
    ]
    assert len(problems) == 1
    assert "not reference images" in problems[0]
    assert "leave reference_image_file_ids unset" in problems[0]
    # reference images alone: the first frame is missing as well
    only_refs = request(model=spec.id, reference_image_file_ids=["r1", "r2"], prompt="a fox")
    assert [p.split(":")[0] for p in check_request(only_refs, spec)] == [
        "first_frame_file_id",
        "reference_image_file_ids",
    ]
    if spec.input_mode == "single":
        problems = check_request(with_changes(spec, end_frame_file_id="end"), spec)
        assert problems == [
            f"end_frame_file_id: {spec.label} animates one image, first_frame_file_id (single-image mode); "
            "leave end_frame_file_id unset"
        ]
    else:
        assert check_request(with_changes(spec, end_frame_file_id=None), spec) == []


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_resolution_violation(model_id: str) -> None:
    spec = spec_of(model_id)
    problems = check_request(with_changes(spec, resolution=4321), spec)
    if spec.resolutions is None:
        assert problems == []  # null in the table: any resolution
        return
    assert len(problems) == 1
    assert problems[0].startswith(f"resolution: {spec.label} takes ")
    assert problems[0].endswith(", got 4321")
    assert all(str(value) in problems[0] for value in spec.resolutions)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_duration_violation(model_id: str) -> None:
    spec = spec_of(model_id)
    assert spec.durations is not None
    too_long = (spec.durations.longest or 0) + 1
    problems = check_request(with_changes(spec, duration=too_long), spec)
    assert problems == [f"duration: {spec.label} takes {spec.durations.describe()}, got {too_long}"]
    if spec.durations.values is not None and len(spec.durations.values) > 1:
        gap = next(s for s in range(min(spec.durations.values), too_long) if s not in spec.durations.values)
        assert check_request(with_changes(spec, duration=gap), spec)[0].startswith("duration: ")


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_aspect_ratio_violation(model_id: str) -> None:
    spec = spec_of(model_id)
    if spec.aspect_ratios is None:
        problems = check_request(with_changes(spec, aspect_ratio="16:9"), spec)
        assert problems == [
            f"aspect_ratio: {spec.label} takes the shape from the first frame; leave aspect_ratio unset"
        ]
        return
    odd = next(ratio for ratio in ("21:9", "2:3", "5:4") if ratio not in spec.aspect_ratios)
    problems = check_request(with_changes(spec, aspect_ratio=odd), spec)
    assert len(problems) == 1
    assert problems[0].startswith(f"aspect_ratio: {spec.label} takes ")
    assert problems[0].endswith(f", got {odd}")
    assert all(ratio in problems[0] for ratio in spec.aspect_ratios)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_sound_violation(model_id: str) -> None:
    spec = spec_of(model_id)
    problems = check_request(with_changes(spec, sound="on"), spec)
    if spec.native_audio:
        assert problems == []
    else:
        assert problems == [f"sound: {spec.label} has no native audio; leave sound unset or 'off'"]
        assert check_request(with_changes(spec, sound="off"), spec) == []


@pytest.mark.parametrize("model_id", PRICED_IDS)
def test_every_allowed_combination_has_a_price(model_id: str) -> None:
    """Data sanity: every resolution/sound a priced model allows has a rate (a valid request is priced)."""
    spec = spec_of(model_id)
    sounds = ["off", "on"] if spec.native_audio else ["off"]
    for resolution in spec.resolutions or [None]:
        for sound in sounds:
            params = valid_params(spec)
            params.update(resolution=resolution, sound=sound)
            params = {name: value for name, value in params.items() if value is not None}
            assert estimate_credits(request(**params), spec) > 0


def test_many_violations_are_all_reported() -> None:
    spec = spec_of("sora-2")
    bad = request(
        model="sora-2",
        reference_image_file_ids=["a", "b"],
        duration=5,
        aspect_ratio="1:1",
        sound="on",
    )
    assert [problem.split(":")[0] for problem in check_request(bad, spec)] == [
        "first_frame_file_id",
        "reference_image_file_ids",
        "prompt",
        "duration",
        "aspect_ratio",
        "sound",
    ]


def test_messages_quote_the_rule() -> None:
    kling = spec_of("kling-2.6")
    assert check_request(with_changes(kling, duration=7), kling) == [
        "duration: kling-2.6 (Kling 2.6) takes 5 or 10 seconds, got 7"
    ]
    seedance = spec_of("seedance-1.5-pro")
    assert check_request(with_changes(seedance, resolution=480), seedance) == [
        "resolution: seedance-1.5-pro (Seedance 1.5 Pro) takes 720 or 1080, got 480"
    ]
    assert check_request(with_changes(seedance, duration=3), seedance) == [
        "duration: seedance-1.5-pro (Seedance 1.5 Pro) takes 4 to 12 seconds, got 3"
    ]
    fast = spec_of("seedance-1.0-pro-fast")
    assert check_request(with_changes(fast, duration=7), fast) == [
        "duration: seedance-1.0-pro-fast (Seedance 1.0 Pro Fast) takes 5, 10 or 12 seconds, got 7"
    ]
    assert spec_of("standard").label == "standard"


def test_unknown_model_is_never_a_violation() -> None:
    assert check_request(request(model="brand-new-model", first_frame_file_id="f", duration=99), None) == []


# --- lookup -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "model_id"),
    [
        ("Seedance 1.5 Pro", "seedance-1.5-pro"),
        ("seedance-1.5-pro", "seedance-1.5-pro"),
        ("SEEDANCE 1.5 PRO", "seedance-1.5-pro"),
        ("  seedance_1.5  pro ", "seedance-1.5-pro"),
        ("seedance1.5pro", "seedance-1.5-pro"),
        ("Kling V3", "kling-v3"),
        ("kling-v3", "kling-v3"),
        ("KlingV3", "kling-v3"),
        ("Kling 2.6", "kling-2.6"),
        ("Sora 2", "sora-2"),
        ("MiniMax-Hailuo-2.3-Fast", "minimax-hailuo-2.3-fast"),
        ("minimax hailuo 2.3 fast", "minimax-hailuo-2.3-fast"),
        ("Veo 3.1 Reference to Video", "veo-3.1-reference-to-video"),
        ("Kling O3 Reference-to-Video", "kling-o3-reference-to-video"),
        ("Standard", "standard"),
    ],
)
def test_lookup_by_name_or_id_in_any_spelling(spelling: str, model_id: str) -> None:
    spec = packaged().find(spelling)
    assert spec is not None
    assert spec.id == model_id
    assert spelling in packaged()


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_name_and_id_finds_its_model(model_id: str) -> None:
    catalog = packaged()
    spec = catalog.find(model_id)
    assert spec is not None
    assert catalog.find(spec.name) is spec
    assert catalog.find(spec.name.upper()) is spec
    assert catalog.find(spec.id) is spec


@pytest.mark.parametrize(
    "unknown", ["gen-5", "Kling V9", "kling 2 6", "seedance-15-pro", "", "  ", "---", None]
)
def test_unknown_model_is_none(unknown: str | None) -> None:
    assert packaged().find(unknown) is None
    assert unknown not in packaged()


def test_model_key() -> None:
    assert model_key("Seedance 1.5 Pro") == model_key("seedance-1.5-pro") == "seedance1.5pro"
    assert model_key("kling 2 6") != model_key("Kling 2.6")


# --- override files and config -------------------------------------------------------------------------

NEW_MODEL: dict[str, Any] = {
    "name": "Gen Next",
    "id": "gen-next",
    "input_mode": "single",
    "resolutions": [720],
    "durations": {"values": [6]},
    "aspect_ratios": None,
    "native_audio": False,
    "rates": [{"resolution": 720, "sound": None, "credits_per_second": 0.3}],
}


def write_models(path: Path, *models: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"models": list(models)}), "utf-8")
    return path


def test_override_file_adds_and_replaces(tmp_path: Path) -> None:
    kling = dict(next(entry for entry in _PACKAGED if entry["id"] == "kling-2.6"))
    kling["durations"] = {"values": [5, 10, 15]}
    path = write_models(tmp_path / "models.json", NEW_MODEL, kling)

    catalog = load_catalog([path])
    assert len(catalog) == len(_PACKAGED) + 1
    assert [spec.id for spec in catalog][: len(MODEL_IDS)] == MODEL_IDS  # replaced in place, order kept
    new = catalog.find("Gen Next")
    assert new is not None
    assert new.source == str(path)
    assert estimate_credits(request(model="gen-next", first_frame_file_id="f", duration=6), new) == 1.8
    replaced = catalog.find("Kling 2.6")
    assert replaced is not None
    assert replaced.durations is not None
    assert replaced.durations.values == (5, 10, 15)
    assert check_request(request(model="kling-2.6", first_frame_file_id="f", duration=15), replaced) == []
    # the packaged table itself is untouched
    assert check_request(
        request(model="kling-2.6", first_frame_file_id="f", duration=15), spec_of("kling-2.6")
    )


def test_partial_override_keeps_the_other_keys(tmp_path: Path) -> None:
    path = write_models(tmp_path / "m.json", {"name": "Kling 2.6", "durations": {"min": 3, "max": 20}})
    spec = load_catalog([path]).find("kling-2.6")
    assert spec is not None
    assert spec.durations is not None
    assert (spec.durations.minimum, spec.durations.maximum) == (3, 20)
    assert spec.id == "kling-2.6"
    assert spec.rates == spec_of("kling-2.6").rates


def test_later_files_win(tmp_path: Path) -> None:
    first = write_models(tmp_path / "a.json", NEW_MODEL)
    second = write_models(
        tmp_path / "b.json", {**NEW_MODEL, "id": None, "name": "GEN NEXT", "resolutions": [1080]}
    )
    spec = load_catalog([first, second]).find("gen-next")
    assert spec is not None
    assert spec.resolutions == (1080,)
    assert spec.source == str(second)


def test_model_without_id_gets_a_kebab_id(tmp_path: Path) -> None:
    entry = {key: value for key, value in NEW_MODEL.items() if key != "id"}
    spec = load_catalog([write_models(tmp_path / "m.json", {**entry, "name": "Gen Next 2.0 HD"})]).find(
        "gen next 2.0 hd"
    )
    assert spec is not None
    assert spec.id == "gen-next-2.0-hd"


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({**NEW_MODEL, "input_mode": "dual"}, "input_mode"),
        ({**NEW_MODEL, "durations": {"min": 10, "max": 5}}, "min (10) is greater than max (5)"),
        ({**NEW_MODEL, "durations": {"min": 5}}, "durations"),
        ({**NEW_MODEL, "aspect_ratios": ["wide"]}, "aspect ratios must look like 16:9"),
        ({**NEW_MODEL, "native_audio": "yes"}, "native_audio"),
        ({**NEW_MODEL, "duration": {"values": [5]}}, "duration: is not a model-table key"),
        ({key: value for key, value in NEW_MODEL.items() if key != "rates"}, "rates"),
        ({**NEW_MODEL, "rates": [{"resolution": 720, "sound": "loud", "credits_per_second": 1}]}, "sound"),
        ({**NEW_MODEL, "rates": [{"resolution": 720, "sound": None, "credits_per_second": -1}]}, "credits"),
        ({**NEW_MODEL, "name": None, "id": None}, "needs a name or an id"),
        (
            {**NEW_MODEL, "durations": 5},
            "durations: must be {'min': m, 'max': n} or {'values': [...]} or null",
        ),
        ({**NEW_MODEL, "resolutions": []}, "resolutions: Tuple should have at least 1 item"),
        ({**NEW_MODEL, "durations": {"min": None, "max": 10}}, "durations: minimum must not be null"),
        ({**NEW_MODEL, "durations": {"values": None}}, "durations: values must not be null"),
        (
            {**NEW_MODEL, "rates": [NEW_MODEL["rates"][0], NEW_MODEL["rates"][0]]},
            "two rates for resolution 720 and sound null",
        ),
    ],
)
def test_invalid_entry_names_file_and_entry(tmp_path: Path, entry: dict[str, Any], complaint: str) -> None:
    path = write_models(tmp_path / "bad.json", NEW_MODEL | {"id": "ok", "name": "Ok"}, entry)
    with pytest.raises(CatalogError) as caught:
        load_catalog([path])
    message = str(caught.value)
    assert f"{path}: models[1]" in message
    assert complaint in message


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', 'expected an object {"models": [...]}'),
        ('{"models": [1]}', "models[0] must be an object"),
        (
            json.dumps({"models": [NEW_MODEL, {**NEW_MODEL, "id": "x", "name": "GEN-NEXT"}]}),
            "names the same model",
        ),
    ],
)
def test_bad_file_shape(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, "utf-8")
    with pytest.raises(CatalogError, match=r"bad\.json") as caught:
        load_catalog([path])
    assert complaint in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        load_catalog([tmp_path / "nope.json"])
    with pytest.raises(CatalogError, match="not found"):
        get_catalog(tmp_path / "nope.json")


def test_config_file_via_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_models(tmp_path / "models.json", NEW_MODEL)
    assert get_catalog().find("gen-next") is None
    monkeypatch.setenv(ENV, str(path))
    assert configured_models_file() == str(path)
    catalog = get_catalog()
    assert catalog.find("gen-next") is not None
    assert str(path) in catalog.sources


def test_explicit_path_is_laid_over_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, str(write_models(tmp_path / "config.json", NEW_MODEL)))
    explicit = write_models(tmp_path / "op.json", {"id": "gen-next", "durations": {"values": [6, 12]}})
    spec = get_catalog(str(explicit)).find("gen-next")
    assert spec is not None
    assert spec.durations is not None
    assert spec.durations.values == (6, 12)
    assert get_catalog().find("Gen Next") is not None  # config only
    assert get_catalog(explicit).sources[-1] == str(explicit)


def test_missing_config_file_says_where_it_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "gone.json"))
    with pytest.raises(CatalogError, match=r"gone.json' not found \(from \[topview\] models_file"):
        get_catalog()


def test_config_read_through_airflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the env variable the option comes from Airflow's config (imported only then)."""
    from airflow.providers.common.compat.sdk import conf  # what the catalog reads, on every Airflow

    assert configured_models_file() is None
    path = write_models(tmp_path / "models.json", NEW_MODEL)
    real_get = conf.get

    def fake_get(section: str, key: str, *args: Any, **kwargs: Any) -> Any:
        if (section, key) == ("topview", "models_file"):
            return f"  {path}  "
        return real_get(section, key, *args, **kwargs)

    monkeypatch.setattr(conf, "get", fake_get)
    assert configured_models_file() == str(path)
    assert get_catalog().find("gen-next") is not None


def test_cache_per_paths_and_reset(tmp_path: Path) -> None:
    assert get_catalog() is get_catalog()
    path = write_models(tmp_path / "m.json", NEW_MODEL)
    with_file = get_catalog(path)
    assert with_file is get_catalog(str(path))
    assert with_file is not get_catalog()
    # an edited file is picked up without a restart
    write_models(path, {**NEW_MODEL, "durations": {"values": [7]}})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    edited = get_catalog(path).find("gen-next")
    assert edited is not None
    assert edited.durations is not None
    assert edited.durations.values == (7,)
    before = get_catalog()
    reset_catalog_cache()
    assert get_catalog() is not before


# --- estimates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "params", "expected"),
    [
        (
            "seedance-1.5-pro",
            {"resolution": 1080, "sound": "on", "duration": 10, "generating_count": 2},
            11.0,
        ),
        ("seedance-1.5-pro", {"resolution": 720, "sound": "off", "duration": 4}, 0.48),
        ("kling-2.6", {"sound": "off", "duration": 5}, 1.55),  # rate resolution null
        ("kling-2.6", {"resolution": 1080, "sound": "on", "duration": 10}, 6.5),
        ("seedance-1.0-pro-fast", {"resolution": 720, "duration": 5, "generating_count": 4}, 1.4),
        ("sora-2", {"duration": 8, "generating_count": 3}, 13.44),  # resolution and sound null
        ("standard", {"resolution": 480, "sound": "on", "duration": 4}, 4.0),
        ("veo-3.1", {"resolution": 2160, "sound": "on", "duration": 8}, 26.4),
        ("kling-v3", {"resolution": 720, "duration": 5}, 2.5),  # sound unset = off
        ("minimax-hailuo-2.3-fast", {"resolution": 768, "duration": 6, "generating_count": 4}, 4.32),
    ],
)
def test_estimate_arithmetic(model: str, params: dict[str, Any], expected: float) -> None:
    spec = spec_of(model)
    frames = valid_params(spec)
    files = {k: v for k, v in frames.items() if "file_id" in k}
    assert estimate_credits(request(model=model, **files, **params), spec) == pytest.approx(expected)


def test_estimate_defaults_assume_the_worst() -> None:
    seedance = spec_of("seedance-1.5-pro")
    estimate = estimate_cost(request(first_frame_file_id="f"), seedance)
    # unset: duration -> longest (12), resolution -> priciest (1080), sound -> off, count -> 1
    assert estimate.credits == pytest.approx(0.28 * 12)
    assert (estimate.resolution, estimate.duration, estimate.sound, estimate.generating_count) == (
        1080,
        12,
        "off",
        1,
    )
    assert estimate.assumed == (
        "duration unset: priced at the longest allowed, 12 s",
        "resolution unset: priced at the priciest allowed, 1080p",
    )
    assert (estimate.upper_bound, estimate.unset) == (True, ("duration", "resolution"))
    assert str(estimate) == (
        "seedance-1.5-pro (Seedance 1.5 Pro): at most 3.36 credits (duration unset: priced at the longest "
        "allowed, 12 s; resolution unset: priced at the priciest allowed, 1080p): 0.28 credits/s x 12 s x "
        "1 video(s) (1080p, sound off)"
    )
    # with sound on the priciest is still judged per sound
    veo = spec_of("veo-3.1")
    assert estimate_credits(request(first_frame_file_id="f", sound="on", duration=4), veo) == pytest.approx(
        13.2
    )
    fast = spec_of("seedance-1.0-pro-fast")
    assert estimate_credits(request(first_frame_file_id="f", resolution=720), fast) == pytest.approx(0.84)
    vidu = spec_of("vidu-q3-pro")
    assert estimate_credits(request(first_frame_file_id="f"), vidu) == pytest.approx(16.0)
    # nothing to assume when the rate does not depend on resolution
    sora = estimate_cost(request(first_frame_file_id="f", duration=4), spec_of("sora-2"))
    assert (sora.assumed, sora.upper_bound, sora.unset) == ((), False, ())
    assert "at most" not in str(sora)
    assert sora.resolution is None
    assert sora.credits == pytest.approx(2.24)


def test_estimate_is_rounded() -> None:
    spec = spec_of("seedance-1.5-pro")
    value = estimate_credits(
        request(first_frame_file_id="f", resolution=720, duration=7, generating_count=3), spec
    )
    assert value == 2.52  # 0.12 * 7 * 3 = 2.5199999999999996 unrounded


def test_unknown_cost_raises(tmp_path: Path) -> None:
    seedance = spec_of("seedance-1.5-pro")
    with pytest.raises(UnknownCostError, match="no rate for resolution 480 with sound off"):
        estimate_credits(request(first_frame_file_id="f", resolution=480, duration=5), seedance)
    with pytest.raises(UnknownCostError, match="not in the model table"):
        estimate_credits(request(model="gen-99", first_frame_file_id="f", duration=5), None)
    free_form = {**NEW_MODEL, "durations": None}
    spec = load_catalog([write_models(tmp_path / "m.json", free_form)]).find("gen-next")
    assert spec is not None
    with pytest.raises(UnknownCostError, match="duration is unset"):
        estimate_credits(request(first_frame_file_id="f"), spec)
    assert check_request(request(first_frame_file_id="f", duration=500), spec) == []  # durations null = any
    for rates in ([], None):  # an empty list and null both mean "no price known"
        unpriced = load_catalog([write_models(tmp_path / "m.json", {**free_form, "rates": rates})])
        with pytest.raises(UnknownCostError, match="has no credit rate for it"):
            estimate_credits(request(first_frame_file_id="f", duration=5), unpriced.find("gen-next"))


# --- command line and import cost -----------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_topview.catalog", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_cli_prints_every_model() -> None:
    result = run_cli("--no-config")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("The submit body's model gets the 'sent as model' spelling")
    assert lines[2] == "== Image-to-Video (image2video) =="
    assert lines[3].split()[:6] == ["id", "name", "sent", "as", "model", "input"]
    for model_id in MODEL_IDS:
        assert any(line.split()[0] == model_id for line in lines[4:] if line), model_id
    seedance = next(line for line in lines if line.startswith("seedance-1.5-pro "))
    for part in ("Seedance 1.5 Pro", "first+end", "720,1080", "4-12", "from image", "yes", "1080/on 0.55"):
        assert part in seedance
    sora = next(line for line in lines if line.startswith("sora-2 "))
    for part in ("single", "any", "4,8,12", "9:16,16:9", "no", "0.56"):
        assert part in sora
    assert f"{len(MODEL_IDS)} models from" in result.stdout


def test_cli_json_and_config_file(tmp_path: Path) -> None:
    path = write_models(tmp_path / "models.json", NEW_MODEL)
    result = run_cli("--json", env={ENV: str(path)})
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    image_to_video = [model for model in document["models"] if model["task_type"] == "image2video"]
    assert [model["id"] for model in image_to_video] == [*MODEL_IDS, "gen-next"]
    # --json gives the data file's entries with every default spelled out
    defaults = {key: _PACKAGED_FILE[key] for key in ("source", "as_of", "task_type")}
    unset = {
        "submit_aliases": [],
        "former_names": [],
        "internet_search": False,
        "video_edit": False,
        "prompt_required": False,
        "retired": None,
        "caveats": {},
        "confidence": "high",
    }
    spelled_out = [{**defaults, "submit_name": entry["name"], **unset, **entry} for entry in _PACKAGED]
    assert image_to_video[: len(_PACKAGED)] == spelled_out
    assert document["sources"][-1] == str(path)


def test_cli_reports_bad_files(tmp_path: Path) -> None:
    path = write_models(tmp_path / "models.json", {**NEW_MODEL, "input_mode": "dual"})
    result = run_cli("--no-config", "--models-file", str(path))
    assert result.returncode == 1
    assert "models[0] ('gen-next')" in result.stderr
    assert "input_mode" in result.stderr


def test_import_is_cheap() -> None:
    """Importing the catalog reads no file and builds no pydantic model; the first lookup does both."""
    code = """
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
import airflow_topview.catalog as catalog
from airflow_topview.catalog import _files
heavy = ("pydantic", "airflow", "airflow_topview.client.request", "airflow_topview.catalog._spec", "json")
assert not [path for path in opened if "topview-models" in path], opened
assert [name for name in heavy if name in sys.modules] == [], [n for n in heavy if n in sys.modules]
assert _files.packaged_entries.cache_info().currsize == 0
assert catalog.load_catalog().find("Kling V3") is not None
assert [path for path in opened if path.endswith("topview-models.json")], opened
assert "airflow_topview.catalog._spec" in sys.modules and "airflow" not in sys.modules
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
