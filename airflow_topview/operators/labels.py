"""Mapped tasks listed by what they are (a prompt, a file name, a TopView task id), not as 0, 1, 2.

Airflow reads a mapped task's ``map_index_template`` from the arguments given to ``.partial()`` (not
from ``default_args``, which ``partial`` fills in only for keys it was not given), so the operators' own
``partial`` class methods set :data:`LABEL_TEMPLATE` unless the call names one. The label's text is set
by the operator while it runs (:func:`set_label`): a value, not a template, so nothing a template renders
can break the label after a paid submit, and the API key is masked like everywhere else.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

#: Context variable holding the label; empty until the operator sets it (Airflow renders the template
#: once before ``execute`` and again when the try ends).
LABEL_VARIABLE = "topview_label"
LABEL_TEMPLATE = "{{ topview_label | default('') }}"
MAX_LABEL_CHARS = 60


def with_default_label(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``.partial()``'s arguments with ``map_index_template`` set to :data:`LABEL_TEMPLATE` unless given."""
    if kwargs.get("map_index_template") is None:
        kwargs["map_index_template"] = LABEL_TEMPLATE
    return kwargs


def set_label(context: Any, text: str, mask: Callable[[str], str] = str) -> None:
    """The label this try shows: ``text`` masked, on one line, cut to 60 characters.

    A DAG rendering templates as native objects turns a label such as ``1984`` into a number, which Airflow
    cannot show (and fails the try on): such text is quoted.
    """
    line = " ".join(mask(str(text)).split())
    if len(line) > MAX_LABEL_CHARS:
        line = line[: MAX_LABEL_CHARS - 3] + "..."
    try:
        ast.literal_eval(line)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    else:
        line = repr(line)
    context[LABEL_VARIABLE] = line
