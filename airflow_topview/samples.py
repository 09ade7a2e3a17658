"""Sample input images installed with the package, so an example DAG runs wherever the provider is installed.

The example DAGs take their default images from here, so a DAG file copied on its own into a project (or
run from the installed wheel) finds them; pass your own paths or URLs to replace them::

    from airflow_topview.samples import sample_image

    Param(sample_image("lighthouse_day.png"), type="string")

Cheap at DAG parse time: ``importlib.resources`` only (no Airflow, nothing read). The paths are those of
the installation that parses the DAG, so the components that run it (workers, the triggerer) must have the
provider installed at the same place, as they do when they run the same image or environment.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The sample images: a lighthouse by day and by night (first and last frame), a fox, a meadow (JPEG),
#: a paper boat. Small drawings made for the examples.
SAMPLE_IMAGES = ("fox.png", "lighthouse_day.png", "lighthouse_night.png", "meadow.jpg", "paper_boat.png")


def samples_dir() -> Path:
    """The installed folder holding the sample images."""
    return Path(str(files("airflow_topview").joinpath("data", "samples")))


def sample_image(name: str) -> str:
    """The path of the installed sample image ``name`` (one of ``SAMPLE_IMAGES``), as text for a ``Param``.

    Raises ``FileNotFoundError`` for a name that is not a sample, or a sample missing from the
    installation (a package built without its data files).
    """
    if name not in SAMPLE_IMAGES:
        raise FileNotFoundError(
            f"{name!r} is not a sample image of airflow_topview; samples: {SAMPLE_IMAGES}"
        )
    path = samples_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"sample image {name!r} is missing from the installed package: {path}")
    return str(path)
