"""Sphinx configuration: the Markdown pages under docs/ (MyST), built by ``make docs``."""

from __future__ import annotations

project = "airflow-provider-topview"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns: list[str] = []
# Anchors for headings down to ###, spelled as GitHub spells them, so `page.md#a-heading` links work
# both on GitHub and in the built site.
myst_heading_anchors = 3
html_theme = "alabaster"
html_static_path: list[str] = []
