"""Mapped tasks listed by what they are (a prompt, a file name, a TopView task id), not as 0, 1, 2.

Airflow reads a mapped task's ``map_index_template`` from the arguments given to ``.partial()``, before
the operator is built, so the default has to be filled in there rather than in ``__init__``. The
operators' own ``partial`` class methods call :func:`with_default_label`; a ``map_index_template`` given
by the DAG author always wins. (A mixin listed before ``BaseOperator`` would change what ``partial``
takes as ``BaseOperator``'s defaults, so each base class defines ``partial`` itself.)
"""

from __future__ import annotations

from typing import Any


def with_default_label(kwargs: dict[str, Any], template: str) -> dict[str, Any]:
    """``.partial()``'s arguments with ``map_index_template`` set to ``template`` unless given."""
    if kwargs.get("map_index_template") is None:
        kwargs["map_index_template"] = template
    return kwargs
