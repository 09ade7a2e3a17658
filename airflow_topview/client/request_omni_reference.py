"""The Omni Reference submit body: named reference images and videos that the prompt calls by name.

TopView's prompt syntax names each input as ``<<<Name>>>`` (``<<<Image1>>>``, ``<<<Video1>>>``). A
placeholder that names no input, or two inputs with one name, makes the request ambiguous; TopView's
answer to either is not documented, so both are refused here, before anything is paid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from airflow_topview.client import input_rules as rules
from airflow_topview.client.request_base import SubmitRequest, validate_request

#: TopView's limits on references (seen in third-party use; TopView's client does not enforce them).
MAX_INPUT_IMAGES = 9
MAX_INPUT_VIDEOS = 3
#: ``<<<Name>>>`` in a prompt.
PLACEHOLDER = re.compile(r"<<<([^<>]*?)>>>")
_NAME = re.compile(r"[^\s<>]+")


class InputFile(BaseModel):
    """One named reference: an uploaded file's id and the name the prompt calls it by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str
    name: str

    @model_validator(mode="before")
    @classmethod
    def _either_spelling(cls, data: Any) -> Any:
        """``{"file_id", "name"}`` or TopView's own ``{"fileId", "name"}``."""
        if isinstance(data, Mapping) and "fileId" in data and "file_id" not in data:
            data = {("file_id" if key == "fileId" else key): value for key, value in data.items()}
        return data

    @field_validator("file_id")
    @classmethod
    def _id(cls, value: str) -> str:
        return rules.check_token(value, "one file id")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value) or len(value) > 64:
            raise ValueError(
                f"must be a name of at most 64 characters without spaces or '<' '>' (the prompt calls it "
                f"<<<name>>>), got {rules.shown(value)}"
            )
        return value

    def to_json(self) -> dict[str, str]:
        return {"fileId": self.file_id, "name": self.name}


_SHAPES = "a list of {'file_id': ..., 'name': 'Image1'} items or a mapping name -> file id"
_ONE_INPUT_KEYS = ({"file_id", "name"}, {"fileId", "name"})


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(
            f"names {', '.join(map(repr, repeated))} twice; the prompt could not tell them apart"
        )
    return dict(pairs)


def _parsed(text: str) -> Any:
    """A template's text rendering of inputs: JSON, or a Python literal (repeated mapping keys refused)."""
    import ast
    import json

    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)
    except ValueError as exc:
        if "twice" in str(exc):
            raise
    except RecursionError:
        raise ValueError(f"must be {_SHAPES}, got text nested too deep: {rules.shown(text)}") from None
    try:
        tree = ast.parse(text, mode="eval")
        if isinstance(tree.body, ast.Dict):
            nodes = [key for key in tree.body.keys if key is not None]
            keys = [key.value if isinstance(key, ast.Constant) else ast.unparse(key) for key in nodes]
            _no_repeated_keys([(str(key), None) for key in keys])
        return ast.literal_eval(tree)
    except (SyntaxError, RecursionError, MemoryError):
        raise ValueError(f"must be {_SHAPES}, got text that is neither: {rules.shown(text)}") from None


def _inputs(value: Any, kind: str, limit: int) -> Any:
    """A list of ``{file_id, name}``, a mapping name -> file id, or the text rendering of either.

    Empty means none (not sent, as TopView's client leaves it out); the count is checked before the items.
    """
    if isinstance(value, str):
        value = _parsed(value.strip()) if value.strip() else None
    if isinstance(value, Mapping) and set(value) in _ONE_INPUT_KEYS:
        value = [value]  # one input, not a mapping of names
    if isinstance(value, Mapping):
        value = [{"name": name, "file_id": file_id} for name, file_id in value.items()]
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        value = list(value)
    elif value is not None:
        raise ValueError(f"must be {_SHAPES}, got {type(value).__name__} {rules.shown(value)}")
    if not value:
        return None
    if len(value) > limit:
        raise ValueError(f"TopView takes at most {limit} {kind}, got {len(value)}")
    unnamed = [item for item in value if not isinstance(item, Mapping)]
    if unnamed:
        raise ValueError(
            f"each input needs a name for the prompt's <<<Name>>>: give {_SHAPES}, "
            f"got {rules.shown(unnamed[0])}"
        )
    return value


class OmniReferenceRequest(SubmitRequest):
    """The body of ``POST /v1/common_task/omni_reference/task/submit``; ``prompt`` is required."""

    input_kinds: ClassVar[tuple[tuple[str, int], ...]] = (
        ("input_images", MAX_INPUT_IMAGES),
        ("input_videos", MAX_INPUT_VIDEOS),
    )

    model: str = "Standard"
    prompt: str
    input_images: list[InputFile] | None = None
    input_videos: list[InputFile] | None = None
    #: Sent only when True, as TopView's client does.
    internet_search: bool | None = None

    @field_validator("input_images", mode="before")
    @classmethod
    def _images(cls, value: Any) -> Any:
        return _inputs(value, "images", MAX_INPUT_IMAGES)

    @field_validator("input_videos", mode="before")
    @classmethod
    def _videos(cls, value: Any) -> Any:
        return _inputs(value, "videos", MAX_INPUT_VIDEOS)

    @field_validator("internet_search", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"must be True or False, got {rules.shown(value)}")
        return value

    @model_validator(mode="after")
    def _references(self) -> OmniReferenceRequest:
        names: dict[str, str] = {}
        for field, limit in self.input_kinds:
            items = getattr(self, field) or []
            if len(items) > limit:
                raise ValueError(f"{field}: TopView takes at most {limit}, got {len(items)}")
            for item in items:
                if item.name in names:
                    raise ValueError(
                        f"{field}: the name {item.name!r} is used twice (also in {names[item.name]}); "
                        "the prompt could not tell them apart"
                    )
                names[item.name] = field
        leftover = PLACEHOLDER.sub("", self.prompt)
        if "<<<" in leftover or ">>>" in leftover:
            raise ValueError(
                "prompt: has a '<<<' or '>>>' that is not part of a placeholder; a placeholder is "
                "<<<Name>>>, the input's name exactly, without spaces or '<' '>'"
            )
        missing = [name for name in dict.fromkeys(PLACEHOLDER.findall(self.prompt)) if name not in names]
        if missing:
            known = ", ".join(f"<<<{name}>>>" for name in names) or "none (no input_images or input_videos)"
            raise ValueError(
                f"prompt: {', '.join(f'<<<{name}>>>' for name in missing)} names no input (names are "
                f"matched exactly); the inputs are {known}"
            )
        return self

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        for field in ("inputImages", "inputVideos"):
            if field in body:
                body[field] = [{"fileId": item["file_id"], "name": item["name"]} for item in body[field]]
        if body.get("internetSearch") is False:
            del body["internetSearch"]
        return body

    def file_ids(self) -> list[str]:
        return [item.file_id for item in (*(self.input_images or ()), *(self.input_videos or ()))]


def build_omni_reference_request(params: Mapping[str, Any]) -> OmniReferenceRequest:
    """Validate operator parameters into an Omni Reference request, or raise a readable error."""
    return validate_request(OmniReferenceRequest, params, "Omni Reference")
