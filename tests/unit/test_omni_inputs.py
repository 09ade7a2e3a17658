"""Omni Reference inputs as templates render them: read back exactly, or refused before any request."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.client.request_omni_reference import build_omni_reference_request
from airflow_topview.exceptions import RequestValidationError

IMAGE1 = {"prompt": "<<<Image1>>> waves"}

READ_BACK: dict[str, tuple[Any, list[dict[str, str]] | None]] = {
    "one input given as a dict": ({"file_id": "f1", "name": "Image1"}, [{"fileId": "f1", "name": "Image1"}]),
    "TopView's spelling": ([{"fileId": "f1", "name": "Image1"}], [{"fileId": "f1", "name": "Image1"}]),
    "a mapping as JSON text": ('{"Image1": "f1"}', [{"fileId": "f1", "name": "Image1"}]),
    "a list as Python text": ("[{'file_id': 'f1', 'name': 'Image1'}]", [{"fileId": "f1", "name": "Image1"}]),
    "an empty list is not sent": ([], None),
    "empty text is not sent": ("[]", None),
    "an empty mapping is not sent": ({}, None),
}


@pytest.mark.parametrize(("given", "sent"), READ_BACK.values(), ids=READ_BACK.keys())
def test_inputs_are_read_back(given: Any, sent: list[dict[str, str]] | None) -> None:
    prompt = IMAGE1 if sent else {"prompt": "a fox"}
    body = build_omni_reference_request({**prompt, "input_images": given}).to_body()
    assert body.get("inputImages") == sent


REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "a name twice in JSON text": (
        {"input_images": '{"A": "f1", "A": "f2"}'},
        "input_images: names 'A' twice",
    ),
    "a name twice in Python text": (
        {"input_images": "{'A': 'f1', 'A': 'f2'}"},
        "input_images: names 'A' twice",
    ),
    "ids without names": (
        {"input_images": ["f1", "f2"]},
        "each input needs a name for the prompt's <<<Name>>>",
    ),
    "50 000 ids: counted first, a short message": (
        {"input_images": ["f"] * 50_000},
        "input_images: TopView takes at most 9 images, got 50000",
    ),
    "text nested too deep": ({"input_images": "[" * 100_000}, "input_images: must be"),
    "an unclosed placeholder": (
        {"prompt": "<<<Image1>> waves", "input_images": {"Image1": "f1"}},
        "prompt: has a '<<<' or '>>>' that is not part of a placeholder",
    ),
    "a placeholder with spaces": (
        {"prompt": "<<< Image1 >>> waves", "input_images": {"Image1": "f1"}},
        "<<< Image1 >>> names no input (names are matched exactly)",
    ),
    "internet_search as a long text": ({"internet_search": "y" * 10_000}, "(10000 characters)"),
}


@pytest.mark.parametrize(("given", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_inputs_are_refused_with_a_short_message(given: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        build_omni_reference_request({"prompt": "a fox", **given})
    assert message in str(raised.value)
    assert len(str(raised.value)) < 1000
