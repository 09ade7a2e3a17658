"""One model table per task type: Text-to-Video and Omni Reference beside Image-to-Video.

Lookups and overrides per task type, names TopView no longer takes, retired models, caveats, low-confidence
rows, the checks and estimates of each task type, the model checks before a submit, and the command line.
Requests of the newer task types are stand-ins with their fields: the catalog reads requests by field name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from airflow_topview.catalog import (
    CatalogError,
    ModelSpec,
    UnknownCostError,
    check_request,
    estimate_cost,
    get_catalog,
    load_catalog,
    model_notices,
)
from airflow_topview.client.request import ImageToVideoRequest
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO
from airflow_topview.exceptions import RequestValidationError, TopviewBudgetError
from airflow_topview.submit.model_checks import catalog_for, check_model_and_budget, submit_spelling
from tests.unit.test_catalog import NEW_MODEL, run_cli, write_models

T2V, OMNI, I2V = TEXT_TO_VIDEO.key, OMNI_REFERENCE.key, IMAGE_TO_VIDEO.key
KNOWN_KEYS = "image2video, text2video, omni_reference"
R6 = ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9")
R5 = ("9:16", "3:4", "1:1", "4:3", "16:9")
R3 = ("9:16", "1:1", "16:9")
R2 = ("9:16", "16:9")
# TopView's client (topviewai/skill video_gen.py@44e2f74 T2V_MODELS): ratios, resolutions, durations, audio.
TEXT_TO_VIDEO_MODELS: dict[str, tuple[Any, ...]] = {
    "Standard": (R6, (480, 720), (4, 15), True),
    "Fast": (R6, (480, 720), (4, 15), True),
    "Seedance 1.5 Pro": (R5, (720, 1080), (4, 12), True),
    "Seedance 1.0 Pro Fast": (R5, (720, 1080), [5, 10, 12], False),
    "Seedance 1.0 Pro": (R5, (720, 1080), [5, 10, 12], False),
    "Kling O3": (R3, (720, 1080), (3, 15), True),
    "Kling V3": (R3, (720, 1080), (3, 15), True),
    "Kling 2.6": (R3, None, [5, 10], True),
    "Kling 2.5 Turbo Pro": (R3, (1080,), [5, 10], False),
    "Kling 2.5 Turbo Std": (R3, (1080,), [5, 10], False),
    "Sora 2": (R2, None, [4, 8, 12], False),
    "Sora 2 Pro": (R2, (720, 1080), [4, 8, 12], False),
    "Veo 3.1": (R2, (720, 1080, 2160), [4, 6, 8], True),
    "Veo 3.1 Fast": (R2, (720, 1080, 2160), [4, 6, 8], True),
    "MiniMax-Hailuo-02": (None, (768, 1080), [6, 10], False),
    "MiniMax-Hailuo-2.3": (None, (768, 1080), [6, 10], False),
    "Vidu Q3 Pro": (R5, (540, 720, 1080), (1, 16), True),
    "Vidu Q2": (R5, (1080,), (2, 10), False),
    "Wan 2.6": (R5, (720, 1080), [5, 10, 15], True),
    "Topview Lite": (R5, None, [5, 10], False),
    "Topview Pro": (R5, None, [5, 10], False),
    "Topview Plus": (R3, None, [5, 10], False),
    "Topview Best": (R3, None, [5, 10], False),
    # newer (video_gen.md@d584010), no rate published; their aspect ratios are assumed (a caveat says so)
    "Seedance 2.0 Mini": (R6, (480, 720), (4, 15), True),
    "Gemini Omni Flash": (R2, (720, 1080, 2160), [4, 6, 8, 10], False),
    "Happy Horse 1.1": (R3, (720, 1080), (3, 15), True),
}
OMNI_MODELS = ["Standard", "Fast", "Kling O3 Video-Edit", "Kling O1 Video-Edit", "Seedance 2.0 Mini"]
OMNI_MODELS += ["Gemini Omni Flash", "Seedance 2.5"]
SORA_NOTICE = (
    "Sora 2 was retired on 2026-09-24: OpenAI shut down Sora 2 and its video API; TopView likely refuses "
    "it (code 4000, nothing charged); use Veo 3.1 or Kling V3"
)

pytestmark = pytest.mark.usefixtures("fresh_catalog")


class TextRequest(BaseModel):
    """A Text-to-Video request's fields (what the catalog reads)."""

    model_config = ConfigDict(frozen=True)

    model: str = "Standard"
    prompt: str | None = "a fox in snow"
    aspect_ratio: str | None = None
    resolution: int | None = None
    duration: int | None = None
    sound: str | None = None
    generating_count: int | None = None


class OmniRequest(TextRequest):
    """An Omni Reference request's fields: named inputs and internet search (and no sound is sent)."""

    input_images: list[dict[str, str]] | None = None
    input_videos: list[dict[str, str]] | None = None
    internet_search: bool | None = None


class Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.infos: list[str] = []

    def warning(self, message: str, *args: Any) -> None:
        self.warnings.append(message % args)

    def info(self, message: str, *args: Any) -> None:
        self.infos.append(message % args)


def spec_of(model: str, task_type: str = I2V) -> ModelSpec:
    spec = load_catalog(task_type=task_type).find(model)
    assert spec is not None, (model, task_type)
    return spec


def valid(spec: ModelSpec) -> TextRequest:
    """A request the spec allows: its first resolution, shortest duration and first ratio."""
    params: dict[str, Any] = {"model": spec.name, "generating_count": 2}
    if spec.resolutions:
        params["resolution"] = spec.resolutions[0]
    if spec.durations is not None:
        params["duration"] = spec.durations.shortest
    if spec.aspect_ratios:
        params["aspect_ratio"] = spec.aspect_ratios[0]
    if spec.task_type == OMNI:
        video = [{"file_id": "v1", "name": "Video1"}] if spec.video_edit else None
        return OmniRequest(**params, input_videos=video, internet_search=spec.internet_search or None)
    return TextRequest(**params, sound="on" if spec.native_audio else "off")


def check(model_checked: Any, task_type: Any = IMAGE_TO_VIDEO, **options: Any) -> Log:
    log = Log()
    check_model_and_budget(
        model_checked,
        models_file=options.pop("models_file", None),
        validate_model=options.pop("validate_model", True),
        max_credits=options.pop("max_credits", None),
        log=log,  # type: ignore[arg-type]
        task_type=task_type,
    )
    return log


# --- one table per task type ------------------------------------------------------------------------


def test_each_task_type_has_its_table() -> None:
    tables = {key: load_catalog(task_type=key) for key in (I2V, T2V, OMNI)}
    assert {key: table.task_type for key, table in tables.items()} == {key: key for key in tables}
    assert [spec.name for spec in tables[T2V]] == list(TEXT_TO_VIDEO_MODELS)
    assert [spec.name for spec in tables[OMNI]] == OMNI_MODELS
    for key, table in tables.items():
        assert {spec.task_type for spec in table} == {key}
        assert table.sources == (f"airflow_topview/data/{_FILES[key]} (packaged)",)
    assert load_catalog().task_type == I2V  # the default stays Image-to-Video
    assert tables[T2V].find("Vidu Q2") is not None
    assert tables[I2V].find("Vidu Q2") is None
    assert tables[OMNI].find("Kling O3 Video-Edit") is not None
    assert tables[I2V].find("Kling O3 Video-Edit") is None


_FILES = {
    I2V: "topview-models.json",
    T2V: "topview-text2video-models.json",
    OMNI: "topview-omni-reference-models.json",
}


@pytest.mark.parametrize("name", TEXT_TO_VIDEO_MODELS)
def test_text_to_video_rows_are_the_clients(name: str) -> None:
    ratios, resolutions, durations, audio = TEXT_TO_VIDEO_MODELS[name]
    spec = spec_of(name, T2V)
    assert (spec.aspect_ratios, spec.resolutions, spec.native_audio) == (ratios, resolutions, audio)
    assert spec.durations is not None
    if isinstance(durations, tuple):
        assert (spec.durations.minimum, spec.durations.maximum) == durations
    else:
        assert spec.durations.values == tuple(durations)
    assert spec.input_mode is None
    assert spec.prompt_required
    assert check_request(valid(spec), spec) == []
    newer = name in ("Seedance 2.0 Mini", "Gemini Omni Flash", "Happy Horse 1.1")
    assert (spec.rates == ()) is newer
    if newer:
        assert "aspect_ratio" in spec.caveats
        assert "d584010704de7295d536b7f43ac18ae09c1ed0e4" in spec.source
    else:
        assert "44e2f74c1daea2c1bbc854a40fc90fddf0e8042a" in spec.source
        assert spec.as_of == "2026-03"


def test_omni_reference_rows() -> None:
    for name in ("Standard", "Fast"):
        spec = spec_of(name, OMNI)
        assert (spec.internet_search, spec.video_edit, spec.aspect_ratios) == (True, False, R6)
    o3, o1 = spec_of("Kling O3 Video-Edit", OMNI), spec_of("Kling O1 Video-Edit", OMNI)
    assert (o3.video_edit, o3.aspect_ratios, o3.resolutions, o3.internet_search) == (
        True,
        None,
        (720, 1080),
        False,
    )
    assert (o1.video_edit, o1.aspect_ratios, o1.resolutions) == (True, None, (1080,))
    assert "duration" in o3.caveats
    gemini = spec_of("Gemini Omni Flash", OMNI)
    assert (gemini.video_edit, gemini.durations, gemini.rates) == (True, None, ())
    seedance = spec_of("Seedance 2.5", OMNI)
    assert (seedance.resolutions, seedance.confidence, seedance.rates) == ((480, 720), "low", ())
    for spec in load_catalog(task_type=OMNI):
        assert check_request(valid(spec), spec) == [], spec.id


def test_get_catalog_is_cached_per_task_type() -> None:
    assert get_catalog(task_type=T2V) is get_catalog(None, T2V)
    assert get_catalog(task_type=T2V) is not get_catalog()
    assert get_catalog(task_type=OMNI).task_type == OMNI
    assert catalog_for(None, TEXT_TO_VIDEO) is get_catalog(task_type=T2V)


@pytest.mark.parametrize("call", [load_catalog, get_catalog])
def test_unknown_task_type_is_refused(call: Any) -> None:
    with pytest.raises(CatalogError, match=f"task_type: must be one of {KNOWN_KEYS}, got 'video2video'"):
        call(task_type="video2video")


# --- models files: per task type ----------------------------------------------------------------------


def test_an_override_touches_only_its_task_type(tmp_path: Path) -> None:
    path = tmp_path / "t2v.json"
    path.write_text(
        json.dumps({"task_type": T2V, "models": [{"id": "standard", "durations": {"min": 4, "max": 20}}]})
    )
    text = load_catalog([path], task_type=T2V).find("Standard")
    assert text is not None
    assert text.durations is not None
    assert text.durations.maximum == 20
    assert text.aspect_ratios == R6  # the other keys kept
    assert text.source.startswith(f"{path} (durations) over TopView's REST client")
    for key in (I2V, OMNI):
        assert load_catalog([path], task_type=key).find("Standard") == spec_of("Standard", key)
    assert str(path) in load_catalog([path], task_type=T2V).sources
    assert str(path) not in load_catalog([path], task_type=I2V).sources


def test_an_entry_may_name_its_task_type(tmp_path: Path) -> None:
    """Entries are Image-to-Video by default; here one overrides Omni Reference, one adds Text-to-Video."""
    path = write_models(
        tmp_path / "m.json",
        {"id": "standard", "task_type": OMNI, "internet_search": False},
        {**{k: v for k, v in NEW_MODEL.items() if k != "input_mode"}, "task_type": T2V, "aspect_ratios": R2},
        NEW_MODEL,
    )
    omni = load_catalog([path], task_type=OMNI).find("standard")
    assert omni is not None
    assert omni.internet_search is False
    assert spec_of("Standard", I2V) == load_catalog([path]).find("Standard")
    text = load_catalog([path], task_type=T2V).find("gen-next")
    image = load_catalog([path]).find("gen-next")
    assert text is not None
    assert image is not None
    assert (text.task_type, text.input_mode, image.task_type, image.input_mode) == (T2V, None, I2V, "single")


def test_one_name_twice_in_a_file_is_fine_across_task_types(tmp_path: Path) -> None:
    other = {**{k: v for k, v in NEW_MODEL.items() if k != "input_mode"}, "task_type": T2V}
    assert len(load_catalog([write_models(tmp_path / "ok.json", NEW_MODEL, other)], task_type=T2V)) == 27
    with pytest.raises(CatalogError, match=r"models\[1\] \('gen-next'\) names the same model as models\[0\]"):
        load_catalog([write_models(tmp_path / "twice.json", other, other)])


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"task_type": "img2vid", "models": [NEW_MODEL]}, "top-level task_type (every entry's default)"),
        (
            {"models": [NEW_MODEL, {**NEW_MODEL, "id": "gen-2", "task_type": "t2v"}]},
            "models[1] ('gen-2'): task_type",
        ),
        ({"models": [{**NEW_MODEL, "task_type": None}]}, "models[0] ('gen-next'): task_type"),
    ],
)
def test_a_file_with_an_unknown_task_type_is_refused(
    tmp_path: Path, document: dict[str, Any], where: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CatalogError) as caught:
        load_catalog([path], task_type=T2V)
    message = str(caught.value)
    assert message.startswith(f"{path}: {where}")
    assert f"must be one of {KNOWN_KEYS}" in message


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        (
            {**NEW_MODEL, "task_type": T2V},
            "input_mode: only image2video models have one; leave it out for text2video",
        ),
        (
            {k: v for k, v in NEW_MODEL.items() if k != "input_mode"},
            "input_mode: an image2video model needs one",
        ),
        ({**NEW_MODEL, "internet_search": True}, "internet_search: only omni_reference models take it"),
        ({**NEW_MODEL, "caveats": {"End Frame": "x"}}, "caveats: keys must be operator parameter names"),
        ({**NEW_MODEL, "caveats": {"duration": " "}}, "caveats: duration: must say what to watch out for"),
        ({**NEW_MODEL, "confidence": "medium"}, "confidence"),
        ({**NEW_MODEL, "former_names": ["GEN NEXT"]}, "former_names: 'GEN NEXT' is the model's own name"),
        (
            {**NEW_MODEL, "retired": {"on": "2026-09", "reason": "gone"}},
            "retired.on: must be a day like 2026-09-24",
        ),
        (
            {**NEW_MODEL, "retired": {"on": "2026-09-24", "reason": "gone", "alternatives": ["Kling V9"]}},
            "'Kling V9'",
        ),
    ],
)
def test_invalid_new_keys_name_file_and_entry(tmp_path: Path, entry: dict[str, Any], complaint: str) -> None:
    path = write_models(tmp_path / "bad.json", entry)
    with pytest.raises(CatalogError) as caught:
        load_catalog([path])
    assert f"{path}: models[0] ('gen-next')" in str(caught.value)
    assert complaint in str(caught.value)


def test_new_keys_round_trip_through_to_json() -> None:
    for key in (I2V, T2V, OMNI):
        for spec in load_catalog(task_type=key):
            assert ModelSpec.model_validate({**spec.to_json()}) == spec
    sora = spec_of("Sora 2").to_json()
    assert sora["retired"] == {
        "on": "2026-09-24",
        "reason": "OpenAI shut down Sora 2 and its video API",
        "alternatives": ["Veo 3.1", "Kling V3"],
    }
    assert spec_of("Gemini Omni Flash").to_json()["former_names"] == ["Topview Omni"]
    assert spec_of("Seedance 2.0").to_json()["confidence"] == "low"


# --- names TopView no longer takes ----------------------------------------------------------------------


@pytest.mark.parametrize("task_type", [I2V, T2V])
@pytest.mark.parametrize("spelling", ["Topview Omni", "topview-omni", "TOPVIEW OMNI"])
def test_a_former_name_finds_nothing_but_names_its_successor(task_type: str, spelling: str) -> None:
    catalog = load_catalog(task_type=task_type)
    assert catalog.find(spelling) is None
    assert spelling not in catalog
    successor = catalog.replacement_for(spelling)
    assert successor is not None
    assert successor.name == "Gemini Omni Flash"
    assert "Topview Omni" not in catalog.known_submit_names()
    assert catalog.replacement_for("Gemini Omni Flash") is None
    assert catalog.replacement_for("Kling V3") is None
    assert load_catalog(task_type=OMNI).replacement_for(spelling) is None


def test_a_models_file_may_bring_a_former_name_back(tmp_path: Path) -> None:
    path = write_models(tmp_path / "m.json", {**NEW_MODEL, "name": "Topview Omni", "id": "topview-omni"})
    catalog = load_catalog([path])
    assert catalog.find("Topview Omni") is not None
    assert catalog.replacement_for("Topview Omni") is None


@pytest.mark.parametrize("task_type", [IMAGE_TO_VIDEO, TEXT_TO_VIDEO])
def test_a_former_name_fails_before_anything_else(task_type: Any) -> None:
    request: Any = TextRequest(model="Topview Omni")
    if task_type is IMAGE_TO_VIDEO:
        request = ImageToVideoRequest(model="Topview Omni", first_frame_file_id="f")
    with pytest.raises(RequestValidationError) as caught:
        check(request, task_type, validate_model=False, max_credits=1000)
    assert (
        str(caught.value) == "model: 'Topview Omni' is no longer accepted by TopView; use 'Gemini Omni Flash'"
    )


def test_a_former_name_fails_the_submit_before_any_request(topview_connection: Any) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

    operator = SubmitImageToVideoOperator(
        task_id="former", model="Topview Omni", first_frame_file_id="frame-1", validate_model=False
    )
    with pytest.raises(AirflowFailException, match="'Topview Omni' is no longer accepted by TopView"):
        operator.execute({})  # type: ignore[arg-type]
    assert topview_connection.journal == []


# --- warnings: retired models, caveats, low confidence ------------------------------------------------------


@pytest.mark.parametrize("task_type", [I2V, T2V])
def test_a_retired_model_is_warned_about_not_refused(task_type: str) -> None:
    for name in ("Sora 2", "Sora 2 Pro"):
        spec = spec_of(name, task_type)
        assert spec.retired is not None
        assert (spec.retired.on, spec.retired.alternatives) == ("2026-09-24", ("Veo 3.1", "Kling V3"))
    sora = spec_of("Sora 2", task_type)
    assert model_notices(TextRequest(model="Sora 2"), sora) == [SORA_NOTICE]
    if task_type == T2V:
        log = check(TextRequest(model="Sora 2", duration=4), TEXT_TO_VIDEO)
    else:
        log = check(ImageToVideoRequest(model="Sora 2", first_frame_file_id="f", prompt="a fox", duration=4))
    assert log.warnings == [SORA_NOTICE]
    assert log.infos == [
        "Estimated cost: sora-2 (Sora 2): 0.56 credits/s x 4 s x 1 video(s) = 2.24 credits (sound off)"
    ]
    assert not [
        spec
        for spec in load_catalog(task_type=task_type)
        if spec.retired and spec.name.startswith(("Veo", "Kling"))
    ]


def test_a_caveat_is_shown_when_its_parameter_is_set() -> None:
    gemini = spec_of("Gemini Omni Flash")
    with_end = ImageToVideoRequest(model="Gemini Omni Flash", first_frame_file_id="f", end_frame_file_id="e")
    assert model_notices(with_end, gemini) == [
        "end_frame_file_id: TopView has not confirmed that Gemini Omni Flash takes an end frame; it may "
        "refuse end_frame_file_id or ignore it"
    ]
    assert check_request(with_end, gemini) == []  # input_mode first_end kept: a warning, not an error
    assert (
        model_notices(ImageToVideoRequest(model="gemini-omni-flash", first_frame_file_id="f"), gemini) == []
    )
    log = check(with_end)
    assert log.warnings == model_notices(with_end, gemini)
    edit = spec_of("Kling O3 Video-Edit", OMNI)
    request = OmniRequest(
        model="Kling O3 Video-Edit", duration=5, input_videos=[{"file_id": "v", "name": "Video1"}]
    )
    assert [line.split(":")[0] for line in model_notices(request, edit)] == ["duration"]
    assert model_notices(request.model_copy(update={"duration": None}), edit) == []


def test_happy_horse_takes_a_start_frame_only() -> None:
    horse = spec_of("Happy Horse 1.1")
    assert horse.input_mode == "single"
    both = ImageToVideoRequest(model="Happy Horse 1.1", first_frame_file_id="f", end_frame_file_id="e")
    assert check_request(both, horse) == [
        "end_frame_file_id: happy-horse-1.1 (Happy Horse 1.1) animates one image, first_frame_file_id "
        "(single-image mode); leave end_frame_file_id unset"
    ]


@pytest.mark.parametrize(
    ("model", "resolution", "rates"),
    [("Seedance 2.0", 720, {480: 0.5, 720: 1.0, 1080: 2.0}), ("Seedance 2.5", 480, {480: 0.7, 720: 1.5})],
)
def test_low_confidence_rows_say_so(model: str, resolution: int, rates: dict[int, float]) -> None:
    spec = spec_of(model)
    assert (spec.confidence, spec.as_of, spec.input_mode) == ("low", "2026-09", "first_end")
    assert spec.source.startswith("Third-party report, 2026-09")
    assert {rate.resolution: rate.credits_per_second for rate in spec.rates} == rates
    assert spec.resolutions == tuple(rates)
    request = ImageToVideoRequest(
        model=model, first_frame_file_id="f", resolution=resolution, duration=5, generating_count=2
    )
    estimate = estimate_cost(request, spec)
    assert estimate.credits == pytest.approx(rates[resolution] * 10)
    assert estimate.confidence == "low"
    assert str(estimate).endswith(
        "; low confidence: the rates come from third-party reports, not TopView's tables"
    )
    notices = model_notices(request, spec)
    assert notices[-1].startswith(
        f"{spec.label}: the model table's entry is low confidence (third-party reports"
    )
    assert "costCredit" in notices[-1]
    assert "low confidence" not in str(
        estimate_cost(ImageToVideoRequest(first_frame_file_id="f", duration=5), spec_of("seedance-1.5-pro"))
    )


# --- checks of the newer task types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "task_type", "changes", "problem"),
    [
        (
            "MiniMax-Hailuo-02",
            T2V,
            {"aspect_ratio": "16:9"},
            "aspect_ratio: minimax-hailuo-02 takes no aspect_ratio; leave aspect_ratio unset",
        ),
        (
            "Kling V3",
            T2V,
            {"aspect_ratio": "21:9"},
            "aspect_ratio: kling-v3 (Kling V3) takes 9:16, 1:1 or 16:9, got 21:9",
        ),
        ("Vidu Q2", T2V, {"duration": 12}, "duration: vidu-q2 (Vidu Q2) takes 2 to 10 seconds, got 12"),
        ("Vidu Q2", T2V, {"resolution": 720}, "resolution: vidu-q2 (Vidu Q2) takes 1080, got 720"),
        (
            "Sora 2",
            T2V,
            {"sound": "on"},
            "sound: sora-2 (Sora 2) has no native audio; leave sound unset or 'off'",
        ),
        (
            "Standard",
            T2V,
            {"prompt": None},
            "prompt: standard needs a prompt (TopView's own client never submits one without it); set prompt",
        ),
        (
            "Kling O1 Video-Edit",
            OMNI,
            {"aspect_ratio": "16:9"},
            "aspect_ratio: kling-o1-video-edit (Kling O1 Video-Edit) takes no aspect_ratio; "
            "leave aspect_ratio unset",
        ),
        (
            "Kling O3 Video-Edit",
            OMNI,
            {"internet_search": True},
            "internet_search: kling-o3-video-edit (Kling O3 Video-Edit) takes no internet search (only "
            "models like Standard and Fast do); leave internet_search unset or False",
        ),
        (
            "Kling O3 Video-Edit",
            OMNI,
            {"input_videos": None},
            "input_videos: kling-o3-video-edit (Kling O3 Video-Edit) edits a video (video-edit model); "
            "give the video to edit in input_videos",
        ),
        ("Standard", OMNI, {"resolution": 1080}, "resolution: standard takes 480 or 720, got 1080"),
        (
            "Seedance 2.5",
            OMNI,
            {"resolution": 1080},
            "resolution: seedance-2.5 (Seedance 2.5) takes 480 or 720, got 1080",
        ),
    ],
)
def test_newer_task_type_messages(model: str, task_type: str, changes: dict[str, Any], problem: str) -> None:
    spec = spec_of(model, task_type)
    request = valid(spec).model_copy(update=changes)
    assert check_request(request, spec) == [problem]


def test_text_to_video_takes_21_9_and_no_input_files() -> None:
    for name in ("Standard", "Fast"):
        spec = spec_of(name, T2V)
        assert check_request(TextRequest(model=name, aspect_ratio="21:9"), spec) == []
    # the rules follow the table: an Image-to-Video spec still wants its frame and takes no ratio
    assert check_request(TextRequest(model="Standard", aspect_ratio="16:9"), spec_of("Standard")) == [
        "first_frame_file_id: standard needs first_frame_file_id (first/end-frame mode)",
        "aspect_ratio: standard takes the shape from the first frame; leave aspect_ratio unset",
    ]
    assert check_request(TextRequest(model="Standard"), spec_of("Standard", OMNI)) == []
    assert check_request(OmniRequest(internet_search=True), spec_of("Fast", OMNI)) == []


@pytest.mark.parametrize(
    ("model", "task_type", "request_params", "credits"),
    [
        ("Kling V3", T2V, {"resolution": 720, "sound": "on", "duration": 5}, 4.0),  # TopView charged 4.0
        ("Seedance 1.5 Pro", T2V, {"resolution": 720, "sound": "on", "duration": 8}, 2.0),  # charged 2.0
        ("Sora 2 Pro", T2V, {"resolution": 720, "duration": 8}, 13.44),  # charged 13.44
        (
            "Veo 3.1 Fast",
            T2V,
            {"resolution": 2160, "sound": "on", "duration": 8, "generating_count": 2},
            32.0,
        ),
        ("Kling O3 Video-Edit", OMNI, {"resolution": 1080, "duration": 5}, 20.0),  # the longest video: 10 s
        ("Standard", OMNI, {"duration": 10, "generating_count": 2}, 20.0),
    ],
)
def test_newer_task_type_estimates(
    model: str, task_type: str, request_params: dict[str, Any], credits: float
) -> None:
    kind = OmniRequest if task_type == OMNI else TextRequest
    estimate = estimate_cost(kind(model=model, **request_params), spec_of(model, task_type))
    assert estimate.credits == pytest.approx(credits)
    assert estimate.confidence == "high"


def test_an_unpriced_model_of_another_task_type_says_how_to_add_its_rate(tmp_path: Path) -> None:
    spec = spec_of("Happy Horse 1.1", T2V)
    request = TextRequest(model="Happy Horse 1.1", duration=5)
    with pytest.raises(UnknownCostError) as caught:
        estimate_cost(request, spec)
    example = str(caught.value).split("e.g. ", 1)[1].split(" with 1.0 replaced", 1)[0]
    assert '"task_type": "text2video"' in example
    path = tmp_path / "rate.json"
    path.write_text(example)
    priced = load_catalog([path], task_type=T2V).find("Happy Horse 1.1")
    assert priced is not None
    assert estimate_cost(request, priced).credits == 5.0
    assert load_catalog([path]).find("Happy Horse 1.1") == spec_of("Happy Horse 1.1")


# --- the model checks before a submit --------------------------------------------------------------------


def test_model_checks_name_the_task_type() -> None:
    with pytest.raises(TopviewBudgetError, match=r"^Invalid Text-to-Video request: duration: vidu-q2"):
        check(TextRequest(model="Vidu Q2", duration=12), TEXT_TO_VIDEO)
    with pytest.raises(TopviewBudgetError, match=r"^Invalid Omni Reference request: input_videos: "):
        check(OmniRequest(model="Kling O1 Video-Edit"), OMNI_REFERENCE)
    with pytest.raises(TopviewBudgetError, match=r"^Invalid Image-to-Video request: duration: kling-2.6"):
        check(ImageToVideoRequest(model="kling-2.6", first_frame_file_id="f", duration=7))
    log = check(TextRequest(model="Standard", duration=5), TEXT_TO_VIDEO, max_credits=5)
    assert log.infos == [
        # Standard costs the same at every resolution: an unset one leaves the figure exact, unqualified
        "Estimated cost: standard: 1 credits/s x 5 s x 1 video(s) = 5 credits (sound off)"
    ]


def test_submit_spelling_per_task_type() -> None:
    request = TextRequest(model="vidu q2")
    assert submit_spelling(request, None, TEXT_TO_VIDEO).model == "Vidu Q2"
    assert submit_spelling(request, None) is request  # not an Image-to-Video model: sent as written
    image = ImageToVideoRequest(model="kling-v3", first_frame_file_id="f")
    assert submit_spelling(image, None).model == "Kling V3"


# --- command line ------------------------------------------------------------------------------------


def test_cli_lists_every_task_type_with_retired_and_new_rows() -> None:
    result = run_cli("--no-config")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    sections = [line for line in out.splitlines() if line.startswith("== ")]
    assert sections == [
        "== Image-to-Video (image2video) ==",
        "== Text-to-Video (text2video) ==",
        "== Omni Reference (omni_reference) ==",
    ]
    rows = [line for line in out.splitlines() if line.startswith(("sora-2 ", "sora-2-pro "))]
    assert len(rows) == 4
    assert all("retired 2026-09-24" in row for row in rows)
    for model_id in ("seedance-2.0 ", "seedance-2.5 "):
        assert any(line.startswith(model_id) and "low confidence" in line for line in out.splitlines())
    assert any(
        line.startswith("gemini-omni-flash ") and "was Topview Omni" in line for line in out.splitlines()
    )
    assert any(line.startswith("vidu-q2 ") for line in out.splitlines())
    assert any(line.startswith("kling-o3-video-edit ") and "video edit" in line for line in out.splitlines())
    assert "26 models from airflow_topview/data/topview-text2video-models.json (packaged)" in out
    assert "7 models from airflow_topview/data/topview-omni-reference-models.json (packaged)" in out
    assert "44e2f74c1daea2c1bbc854a40fc90fddf0e8042a" in out


def test_cli_task_type_limits_the_listing(tmp_path: Path) -> None:
    result = run_cli("--no-config", "--task-type", T2V)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("== ")] == [
        "== Text-to-Video (text2video) =="
    ]
    assert "vidu-q2-reference-to-video" not in result.stdout
    as_json = run_cli("--no-config", "--json", "--task-type", OMNI)
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert {model["task_type"] for model in document["models"]} == {OMNI}
    assert document["sources"] == ["airflow_topview/data/topview-omni-reference-models.json (packaged)"]
    path = tmp_path / "omni.json"
    path.write_text(as_json.stdout)
    assert list(load_catalog([path], include_packaged=False, task_type=OMNI)) == list(
        load_catalog(task_type=OMNI)
    )
    refused = run_cli("--no-config", "--task-type", "video2video")
    assert refused.returncode == 2
    assert "video2video" in refused.stderr


def test_cli_json_of_every_task_type_loads_back(tmp_path: Path) -> None:
    result = run_cli("--no-config", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [model["task_type"] for model in document["models"]] == [I2V] * 34 + [T2V] * 26 + [OMNI] * 7
    path = tmp_path / "all.json"
    path.write_text(result.stdout)
    for key in (I2V, T2V, OMNI):
        copy = load_catalog([path], include_packaged=False, task_type=key)
        assert list(copy) == list(load_catalog(task_type=key))
        assert [spec.source for spec in copy] == [spec.source for spec in load_catalog(task_type=key)]
