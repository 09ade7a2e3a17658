"""What the submit body's ``model`` gets: submit names, overrides, the accepted set, and typo suggestions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from airflow_topview.catalog import Catalog, CatalogError, get_catalog, load_catalog
from airflow_topview.catalog._suggest import distance
from airflow_topview.client.request import ImageToVideoRequest
from tests.unit.test_catalog import ENV, NEW_MODEL, write_models

DOCUMENTED_KEBAB_IDS = {"seedance-1.5-pro", "kling-v3", "sora-2"}

pytestmark = pytest.mark.usefixtures("fresh_catalog")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --- submit_name --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "sent"),
    [
        ("seedance-1.5-pro", "Seedance 1.5 Pro"),  # id
        ("Seedance 1.5 Pro", "Seedance 1.5 Pro"),  # display name
        ("SEEDANCE_1.5_PRO", "Seedance 1.5 Pro"),  # other case and punctuation
        ("kling-v3", "Kling V3"),
        ("klingv3", "Kling V3"),
        ("standard", "Standard"),
        ("FAST", "Fast"),
        ("sora2", "Sora 2"),  # Catalog.find already knows this spelling
        ("veo-3.1-reference-to-video", "Veo 3.1 Reference to video"),
        ("gemini-omni-flash", "Gemini Omni Flash"),
        ("happy horse 1.1", "Happy Horse 1.1"),
        ("seedance-2.0-mini", "Seedance 2.0 Mini"),
    ],
)
def test_known_model_is_sent_by_its_display_name(catalog: Catalog, model: str, sent: str) -> None:
    assert catalog.submit_name(model) == sent


@pytest.mark.parametrize(
    "model",
    ["brand-new-model", "  Padded Model  ", "Topview Omni", "topview-omni", "kling v9", "Seedance 9.0", ""],
)
def test_unknown_model_is_sent_exactly_as_written(catalog: Catalog, model: str) -> None:
    assert catalog.submit_name(model) == model
    assert catalog.find(model) is None


def test_every_model_defaults_to_its_display_name(catalog: Catalog) -> None:
    for spec in catalog:
        assert spec.submit_name == spec.name
        assert catalog.submit_name(spec.id) == spec.name
        assert catalog.submit_name(spec.name.upper()) == spec.name


def test_the_request_default_model_goes_out_by_display_name(catalog: Catalog) -> None:
    assert catalog.submit_name(ImageToVideoRequest.model_fields["model"].default) == "Seedance 1.5 Pro"


def test_models_file_may_set_only_the_submit_name(tmp_path: Path) -> None:
    packaged = load_catalog().find("kling-v3")
    path = write_models(tmp_path / "names.json", {"id": "kling-v3", "submit_name": "kling-v3"})
    catalog = load_catalog([path])
    spec = catalog.find("Kling V3")
    assert spec is not None
    assert catalog.submit_name("Kling V3") == catalog.submit_name("KLING-V3") == "kling-v3"
    assert packaged is not None
    assert spec == packaged.model_copy(update={"submit_name": "kling-v3"})  # nothing else moved
    assert spec.name == "Kling V3"
    assert spec.source.startswith(f"{path} (submit_name) over TopView's published")
    assert spec.as_of == packaged.as_of == "2026"
    assert spec.file == str(path)


def test_override_by_operator_file_and_by_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_models(tmp_path / "config.json", {"name": "Sora 2", "submit_name": "sora-2"})
    monkeypatch.setenv(ENV, str(config))
    assert get_catalog().submit_name("Sora 2") == "sora-2"
    operator_file = write_models(tmp_path / "op.json", {"id": "sora-2", "submit_name": "Sora 2 (API)"})
    assert get_catalog(operator_file).submit_name("sora-2") == "Sora 2 (API)"


def test_submit_name_of_a_new_model_and_lookup_by_it(tmp_path: Path) -> None:
    catalog = load_catalog([write_models(tmp_path / "m.json", {**NEW_MODEL, "submit_name": "GenNext-v1"})])
    spec = catalog.find("gen-next")
    assert spec is not None
    assert catalog.submit_name("Gen Next") == "GenNext-v1"
    assert catalog.find("gennext v1") is spec  # what we send also finds the model
    assert "GenNext-v1" in catalog.known_submit_names()


def test_a_submit_name_never_takes_over_another_models_name(tmp_path: Path) -> None:
    path = write_models(tmp_path / "m.json", {"id": "kling-v3", "submit_name": "Kling O3"})
    catalog = load_catalog([path])
    kling_o3 = catalog.find("Kling O3")
    assert kling_o3 is not None
    assert kling_o3.id == "kling-o3"
    assert catalog.submit_name("kling-v3") == "Kling O3"


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({"id": "kling-v3", "submit_name": "  "}, "submit_name: must name the model"),
        ({"id": "kling-v3", "submit_aliases": [" kling-v3"]}, "submit_aliases: each alias must name"),
        ({"id": "kling-v3", "submit_aliases": "kling-v3"}, "submit_aliases"),
        ({"id": "kling-v3", "prompt_required": "yes"}, "prompt_required"),
    ],
)
def test_bad_naming_keys_name_file_and_entry(
    tmp_path: Path, entry: dict[str, object], complaint: str
) -> None:
    path = write_models(tmp_path / "bad.json", entry)
    with pytest.raises(CatalogError) as caught:
        load_catalog([path])
    assert f"{path}: models[0] ('kling-v3')" in str(caught.value)
    assert complaint in str(caught.value)


# --- the accepted set ---------------------------------------------------------------------------------


def test_known_submit_names_are_display_names_plus_documented_kebab_ids(catalog: Catalog) -> None:
    names = catalog.known_submit_names()
    assert names == {spec.name for spec in catalog} | DOCUMENTED_KEBAB_IDS
    assert {"Seedance 1.5 Pro", "Kling V3", "Standard", "Sora 2", "Gemini Omni Flash"} <= names
    for not_sent in ("seedance 1.5 pro", "kling-2.6", "Topview Omni", "standard"):  # exact spelling counts
        assert not_sent not in names
    for kebab in DOCUMENTED_KEBAB_IDS:
        spec = catalog.find(kebab)
        assert spec is not None
        assert spec.submit_aliases == (kebab,)


def test_retired_topview_omni_is_unknown(catalog: Catalog) -> None:
    assert catalog.find("Topview Omni") is None
    assert catalog.suggest("Topview Omni") is None
    assert catalog.submit_name("Topview Omni") == "Topview Omni"


# --- suggest ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "model_id"),
    [
        ("seedance-1.5-pr0", "seedance-1.5-pro"),
        ("Kling V33", "kling-v3"),
        ("sora", "sora-2"),
        ("Sora 2 Pr", "sora-2-pro"),
        ("kling 2 6", "kling-2.6"),
        ("veo 3.1 fsat", "veo-3.1-fast"),  # swapped letters are one edit
        ("Gemni Omni Flash", "gemini-omni-flash"),
        ("Standrad", "standard"),
        ("Topview Lit", "topview-lite"),
        ("happy hors 1.1", "happy-horse-1.1"),
    ],
)
def test_suggest_the_model_a_typo_means(catalog: Catalog, typo: str, model_id: str) -> None:
    assert catalog.find(typo) is None
    spec = catalog.suggest(typo)
    assert spec is not None
    assert spec.id == model_id


@pytest.mark.parametrize(
    "model",
    [
        "gen-5",
        "dall-e",
        "Kling V4",  # another version number: a newer model, not a typo
        "Veo 3.2",
        "Wan 2.5",
        "seedance-1.4-pro",
        "kling 2.5 turbo",  # as near Kling 2.5 Turbo Pro as Turbo Std: no guess
        "",
        "---",
        "Kling V3",  # known names get no suggestion
        "sora2",
    ],
)
def test_no_suggestion_when_nothing_is_close_or_the_name_is_known(catalog: Catalog, model: str) -> None:
    assert catalog.suggest(model) is None


def test_distance() -> None:
    assert distance("kling", "kling", 2) == 0
    assert distance("klnig", "kling", 2) == 1  # swapped neighbours
    assert distance("klingv33", "klingv3", 2) == 1
    assert distance("sora", "veo", 5) == 4
    assert distance("a" * 40, "b" * 40, 2) == 3  # stops at limit + 1
    assert distance("short", "a much longer name", 3) == 4  # length gap alone exceeds the limit


def test_suggest_is_fast(catalog: Catalog) -> None:
    started = time.perf_counter()
    for number in range(300):
        catalog.suggest(f"some unknown model {number}")
        catalog.suggest("seedance-1.5-pr0")
    assert time.perf_counter() - started < 2.0
