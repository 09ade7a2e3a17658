"""``python -m airflow_topview.catalog --estimate`` and the "at most" wording of estimates that assumed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.catalog import estimate_cost, load_catalog
from airflow_topview.client.request import ImageToVideoRequest
from airflow_topview.client.request_text_to_video import TextToVideoRequest
from airflow_topview.client.task_types import TASK_TYPES, TEXT_TO_VIDEO
from airflow_topview.submit.model_checks import check_model_and_budget
from airflow_topview.submit.run_budget import price_one
from tests.unit.conftest import MODELS_FILE_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def estimate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if key != MODELS_FILE_ENV}
    return subprocess.run(
        [sys.executable, "-m", "airflow_topview.catalog", "--estimate", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**base, **(env or {})},
        timeout=60,
        check=False,
    )


def estimate_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = estimate("--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# --- a figure per task type, the operators' own --------------------------------------------------------


@pytest.mark.parametrize(
    ("task_type", "model", "first_line", "working"),
    [
        (
            "image2video",
            "Seedance 1.5 Pro",
            "Image-to-Video, seedance-1.5-pro (Seedance 1.5 Pro): 2.5 credits",
            "0.25 credits/s x 5 s x 2 video(s) = 2.5 credits (720p, sound on)",
        ),
        (
            "text2video",
            "Kling V3",
            "Text-to-Video, kling-v3 (Kling V3): 8 credits",
            "0.8 credits/s x 5 s x 2 video(s) = 8 credits (720p, sound on)",
        ),
        (
            "omni_reference",
            "Standard",
            "Omni Reference, standard: 10 credits",
            "1 credits/s x 5 s x 2 video(s) = 10 credits (720p, sound off)",
        ),
    ],
)
def test_each_task_type_prints_the_figure_the_operator_uses(
    task_type: str, model: str, first_line: str, working: str
) -> None:
    settings = {"model": model, "duration": "5", "resolution": "720", "generating_count": "2"}
    sound = [] if task_type == "omni_reference" else ["--sound", "on"]
    flags = ["--duration", "5", "--resolution", "720", "--count", "2", *sound]
    result = estimate("--no-config", "--task-type", task_type, "--model", model, *flags)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == first_line
    assert lines[1] == f"working: {working}"
    assert "at most" not in result.stdout
    assert "exact figure" not in result.stdout
    assert f"max_credits: {first_line.split(': ')[1].split()[0]} or more lets a submit" in result.stdout
    # the run budget prices with the same function: the same figure
    one = price_one(
        {**settings, **({"sound": "on"} if sound else {})}, models_file=None, task_type=TASK_TYPES[task_type]
    )
    document = estimate_json("--no-config", "--task-type", task_type, "--model", model, *flags)
    assert document["credits"] == one.credits
    assert (document["upper_bound"], document["text"]) == (False, str(one))


def test_the_issue_example() -> None:
    result = estimate(
        "--no-config",
        *("--task-type", "text2video", "--model", "Kling V3", "--duration", "5", "--resolution", "720"),
        *("--sound", "on", "--count", "2"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "Text-to-Video, kling-v3 (Kling V3): 8 credits",
        "working: 0.8 credits/s x 5 s x 2 video(s) = 8 credits (720p, sound on)",
        "assumed: nothing",
    ]


def test_unset_parameters_make_an_upper_bound_that_says_so() -> None:
    result = estimate("--no-config", "--task-type", "text2video", "--model", "kling-v3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "Text-to-Video, kling-v3 (Kling V3): at most 12 credits",
        "working: 0.8 credits/s x 15 s x 1 video(s) = 12 credits (1080p, sound off)",
        "assumed: duration unset: priced at the longest allowed, 15 s",
        "assumed: resolution unset: priced at the priciest allowed, 1080p",
        "assumed: sound unset: off, TopView's default",
        "assumed: count unset: 1 video, TopView's default",
        "exact figure: set --duration and --resolution; an unset duration or resolution is priced at its "
        "maximum",
    ]
    document = estimate_json(
        "--no-config", "--task-type", "text2video", "--model", "kling-v3", "--duration", "5"
    )
    assert (document["credits"], document["upper_bound"], document["unset"]) == (4.0, True, ["resolution"])
    assert document["text"].startswith("kling-v3 (Kling V3): at most 4 credits (resolution unset: ")


def test_inputs_are_stood_in_for_every_input_mode() -> None:
    """Multi-reference and video-edit models need inputs to be valid requests; the estimate stands them in."""
    document = estimate_json(
        "--no-config",
        "--task-type",
        "image2video",
        "--model",
        "Kling V3 Reference Video",
        "--resolution",
        "720",
    )
    assert (document["credits"], document["duration"], document["upper_bound"]) == (7.5, 15, True)
    edit = estimate_json(
        "--no-config", "--task-type", "omni_reference", "--model", "Kling O3 Video-Edit", "--duration", "5"
    )
    assert (edit["credits"], edit["resolution"], edit["upper_bound"]) == (20.0, 1080, True)  # 10 s at most
    assert "sound: Omni Reference sends none; priced at the sound-off rate" in edit["assumed"]
    assert any("follows its length" in warning for warning in edit["warnings"])


# --- refusals: the operator's rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--task-type", "text2video", "--model", "Kling V33"),
            "error: model 'Kling V33' is not in the Text-to-Video table, so there is no rate to price it "
            "with (a submit sends it as written, unestimated); did you mean 'Kling V3' (kling-v3)?; "
            "python -m airflow_topview.catalog --task-type text2video lists the models",
        ),
        (
            ("--task-type", "omni_reference", "--model", "Kling V3"),
            "it is a model of Image-to-Video and Text-to-Video: is --task-type right?",
        ),
        (
            ("--task-type", "text2video", "--model", "Kling 2.6", "--duration", "7"),
            "error: Invalid Text-to-Video request: duration: kling-2.6 (Kling 2.6) takes 5 or 10 seconds, "
            "got 7",
        ),
        (
            ("--task-type", "image2video", "--model", "Kling 2.5 Turbo Pro", "--sound", "on"),
            "error: Invalid Image-to-Video request: sound: kling-2.5-turbo-pro (Kling 2.5 Turbo Pro) has no "
            "native audio",
        ),
        (
            ("--task-type", "omni_reference", "--model", "Standard", "--sound", "on"),
            "error: Invalid Omni Reference request: sound: is not a parameter of the Omni Reference submit "
            "call",
        ),
        (
            ("--task-type", "text2video", "--model", "Kling V3", "--count", "5"),
            "error: Invalid Text-to-Video request: generating_count",
        ),
        (
            ("--task-type", "text2video", "--model", "Happy Horse 1.1", "--duration", "5"),
            "error: cannot estimate credits for happy-horse-1.1 (Happy Horse 1.1): the model table has no "
            "credit rate for it",
        ),
        (
            ("--task-type", "text2video", "--model", "Topview Omni"),
            "error: model: 'Topview Omni' is no longer accepted by TopView; use 'Gemini Omni Flash'",
        ),
    ],
)
def test_what_the_operator_refuses_exits_non_zero(args: tuple[str, ...], message: str) -> None:
    result = estimate("--no-config", *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "Kling V3"), "--estimate needs --task-type: image2video, text2video, omni_reference"),
        (("--task-type", "text2video"), "--estimate needs --model"),
    ],
)
def test_flags_that_do_not_fit(args: tuple[str, ...], message: str) -> None:
    result = estimate("--no-config", *args)
    assert result.returncode == 2
    assert message in result.stderr
    table = subprocess.run(
        [sys.executable, "-m", "airflow_topview.catalog", "--no-config", "--duration", "5"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )
    assert table.returncode == 2
    assert "--duration only goes with --estimate" in table.stderr


# --- models files ---------------------------------------------------------------------------------------


def test_models_files_price_what_the_table_does_not(tmp_path: Path) -> None:
    rate = {
        "models": [
            {
                "id": "happy-horse-1.1",
                "task_type": "text2video",
                "rates": [{"resolution": None, "sound": None, "credits_per_second": 0.7}],
            }
        ]
    }
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(rate))
    args = (
        "--task-type",
        "text2video",
        "--model",
        "Happy Horse 1.1",
        "--duration",
        "10",
        "--resolution",
        "720",
    )
    by_flag = estimate_json("--no-config", "--models-file", str(path), *args)
    assert (by_flag["credits"], by_flag["upper_bound"]) == (7.0, False)
    assert by_flag["source"].startswith(str(path))
    by_setting = estimate_json(*args, env={MODELS_FILE_ENV: str(path)})
    assert by_setting["credits"] == 7.0
    ignored = estimate("--no-config", *args, env={MODELS_FILE_ENV: str(path)})
    assert ignored.returncode == 1
    assert "no credit rate" in ignored.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = estimate("--no-config", "--models-file", str(broken), *args)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert str(broken) in result.stderr


# --- the wording: "at most" exactly when something was priced at its maximum ---------------------------


class Log:
    def __init__(self) -> None:
        self.infos: list[str] = []

    def warning(self, message: str, *args: Any) -> None:
        pass

    def info(self, message: str, *args: Any) -> None:
        self.infos.append(message % args)


def test_the_operator_log_line_says_at_most_and_what_makes_it_exact() -> None:
    log = Log()
    request = ImageToVideoRequest(model="seedance-1.5-pro", first_frame_file_id="f", duration=5)
    got = check_model_and_budget(
        request,
        models_file=None,
        validate_model=True,
        max_credits=None,
        log=log,  # type: ignore[arg-type]
    )
    assert got is not None
    assert got.upper_bound
    assert log.infos == [
        "Estimated cost: seedance-1.5-pro (Seedance 1.5 Pro): at most 1.4 credits (resolution unset: priced "
        "at the priciest allowed, 1080p): 0.28 credits/s x 5 s x 1 video(s) (1080p, sound off); set "
        "resolution for the exact figure"
    ]
    exact = Log()
    check_model_and_budget(
        request.model_copy(update={"resolution": 720}),
        models_file=None,
        validate_model=True,
        max_credits=None,
        log=exact,  # type: ignore[arg-type]
    )
    assert exact.infos == [
        "Estimated cost: seedance-1.5-pro (Seedance 1.5 Pro): 0.12 credits/s x 5 s x 1 video(s) = 0.6 "
        "credits (720p, sound off)"
    ]


def test_nothing_to_choose_is_no_upper_bound() -> None:
    """One allowed duration, or one rate for every resolution: the unset parameter changes nothing."""
    veo_reference = load_catalog().find("Veo 3.1 Reference to video")
    fixed = estimate_cost(
        ImageToVideoRequest(
            model="Veo 3.1 Reference to video",
            resolution=720,
            prompt="p",
            reference_image_file_ids=["a", "b"],
        ),
        veo_reference,
    )
    assert (fixed.duration, fixed.upper_bound, fixed.unset) == (8, False, ())
    standard = load_catalog(task_type=TEXT_TO_VIDEO.key).find("Standard")
    flat = estimate_cost(TextToVideoRequest(model="Standard", prompt="p", duration=5), standard)
    assert (flat.credits, flat.resolution, flat.upper_bound) == (5.0, None, False)
    assert str(flat) == "standard: 1 credits/s x 5 s x 1 video(s) = 5 credits (sound off)"
    longest = estimate_cost(TextToVideoRequest(model="Standard", prompt="p"), standard)
    assert (longest.credits, longest.unset) == (15.0, ("duration",))
    assert str(longest) == (
        "standard: at most 15 credits (duration unset: priced at the longest allowed, 15 s): "
        "1 credits/s x 15 s x 1 video(s) (sound off)"
    )
