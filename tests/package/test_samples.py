"""The sample images ship inside the package, and finding them costs nothing at DAG parse time."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest

from airflow_topview.samples import SAMPLE_IMAGES, sample_image, samples_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "airflow_topview"


def test_every_sample_is_an_installed_image_file() -> None:
    assert sorted(path.name for path in samples_dir().iterdir()) == sorted(SAMPLE_IMAGES)
    for name in SAMPLE_IMAGES:
        path = Path(sample_image(name))
        assert path.is_absolute()
        assert path.parent == samples_dir() == PACKAGE / "data" / "samples"  # this checkout's package
        magic = b"\x89PNG\r\n\x1a\n" if name.endswith(".png") else b"\xff\xd8\xff"
        assert path.read_bytes().startswith(magic), name


def test_an_unknown_sample_names_the_samples() -> None:
    with pytest.raises(FileNotFoundError, match=r"'boat\.png' is not a sample image .* 'paper_boat\.png'"):
        sample_image("boat.png")


def test_the_wheel_takes_the_samples_along() -> None:
    """pyproject's package data matches every sample (the wheel holds exactly what these globs match)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["airflow_topview"]
    for name in SAMPLE_IMAGES:
        relative = PurePosixPath("data", "samples", name)
        # setuptools' globs do not cross folders: "data/*.json" takes nothing from data/samples/
        assert any(
            len(PurePosixPath(glob).parts) == len(relative.parts) and relative.match(glob) for glob in globs
        ), name


def test_every_sample_is_used_by_an_example() -> None:
    examples = "".join(path.read_text() for path in (ROOT / "dags").glob("example_*.py"))
    assert [name for name in SAMPLE_IMAGES if f'"{name}"' not in examples] == []


def test_finding_a_sample_imports_nothing_else() -> None:
    probe = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "from airflow_topview.samples import sample_image\n"
        "sample_image('fox.png')\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    added = json.loads(result.stdout.strip().splitlines()[-1])
    assert [name for name in added if name.split(".")[0] in {"airflow", "pydantic", "requests"}] == []
    assert [name for name in added if name.startswith("airflow_topview.")] == ["airflow_topview.samples"]
