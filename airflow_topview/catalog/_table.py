"""The model table of one task type: every known model, looked up by display name, id or submit name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_topview.catalog._names import model_key
from airflow_topview.catalog._suggest import closest

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from airflow_topview.catalog._spec import ModelSpec


class Catalog:
    """The model table of one task type, looked up by display name or id whatever the case or punctuation.

    An unknown model is ``None``, never an error: TopView adds models more often than we release. A name
    TopView no longer accepts (a spec's ``former_names``) is not found either: ``replacement_for`` says
    which model took its place.
    """

    def __init__(
        self, specs: Iterable[ModelSpec], sources: Sequence[str] = (), task_type: str = "image2video"
    ) -> None:
        self._specs = tuple(specs)
        self.sources = tuple(sources)
        #: The TaskType key of every model in the table (``image2video``, ``text2video``, ``omni_reference``).
        self.task_type = task_type
        self._index: dict[str, ModelSpec] = {}
        self._former: dict[str, ModelSpec] = {}
        # Ids and names first, so a submit name never takes over another model's own name.
        for spec in self._specs:
            for key in (model_key(spec.id), model_key(spec.name)):
                self._index.setdefault(key, spec)
        for spec in self._specs:
            for text in (spec.submit_name, *spec.submit_aliases):
                self._index.setdefault(model_key(text), spec)
        for spec in self._specs:
            for text in spec.former_names:
                self._former.setdefault(model_key(text), spec)

    def find(self, model: str | None) -> ModelSpec | None:
        """The spec of ``model`` (name, id or submit name, any spelling); None when the table lacks it."""
        if not model:
            return None
        return self._index.get(model_key(model))

    def replacement_for(self, model: str | None) -> ModelSpec | None:
        """The model that took over ``model``, a name TopView no longer accepts (any spelling); else None.

        None as well when ``model`` is a live model of the table (a models file may bring a name back).
        """
        if not model or self.find(model) is not None:
            return None
        return self._former.get(model_key(model))

    def submit_name(self, model: str) -> str:
        """What to send as the submit body's ``model``: a known model's submit name, else ``model`` as given.

        TopView's own client sends display names (``"Seedance 1.5 Pro"``), case-sensitive, not code names;
        a model the table does not know may be newer than the table, so it goes out exactly as written.
        """
        spec = self.find(model)
        return spec.submit_name if spec is not None else model

    def suggest(self, model: str) -> ModelSpec | None:
        """The known model an unknown ``model`` is likely a typo of (``"Kling V33"`` -> Kling V3), else None.

        A hint for messages only, never a reason to reject: a near name may be a model newer than the table.
        None when ``model`` is known, when nothing is close, or when two models are equally close.
        """
        if not model or self.find(model) is not None:
            return None
        return closest(model_key(model), self._index)

    def known_submit_names(self) -> frozenset[str]:
        """Every exact spelling the table expects TopView to take as ``model`` (submit names and aliases)."""
        return frozenset(text for spec in self._specs for text in (spec.submit_name, *spec.submit_aliases))

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.find(model) is not None

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        where = ", ".join(self.sources) or "nowhere"
        return f"Catalog({self.task_type}: {len(self._specs)} models from {where})"
