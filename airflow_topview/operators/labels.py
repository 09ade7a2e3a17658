"""Mapped tasks listed by what they are (a prompt, a file name, a TopView task id), not as 0, 1, 2.

Airflow reads a mapped task's ``map_index_template`` from the arguments given to ``.partial()`` (not
from ``default_args``, which ``partial`` fills in only for keys it was not given), so the operators' own
``partial`` class methods set :data:`LABEL_TEMPLATE` unless the call or the ``default_args`` name one.
The label's text is set by the operator while it runs (:func:`set_label`): a value, not a template, so
nothing a template renders can break the label after a paid submit, and the API key is masked like
everywhere else.
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
    """``.partial()``'s arguments with ``map_index_template`` set to :data:`LABEL_TEMPLATE`, unless the call
    names one or the ``default_args`` it would get (its own, its task group's, its DAG's) do."""
    if kwargs.get("map_index_template") is None and not _default_args_name_a_template(kwargs):
        kwargs["map_index_template"] = LABEL_TEMPLATE
    return kwargs


def _default_args_name_a_template(kwargs: dict[str, Any]) -> bool:
    try:  # where Airflow's own partial() finds the DAG and task group being defined (3.1 to 3.4)
        from airflow.sdk.definitions._internal.contextmanager import DagContext, TaskGroupContext
    except ImportError:
        return False
    dag = kwargs.get("dag") or DagContext.get_current()
    group = kwargs.get("task_group") or (TaskGroupContext.get_current(dag) if dag else None)
    sources = [
        kwargs.get("default_args"),
        getattr(group, "default_args", None),
        getattr(dag, "default_args", None),
    ]
    return any(isinstance(args, dict) and args.get("map_index_template") for args in sources)


def set_label(context: Any, text: str, mask: Callable[[str], str] = str) -> None:
    """The label this try shows: ``text`` masked (Airflow's masker, then ``mask``), on one line, cut to 60
    characters.

    A DAG rendering templates as native objects turns a label such as ``1984`` into a number, which Airflow
    cannot show (and fails the try on): such text is quoted.
    """
    from airflow.providers.common.compat.sdk import redact

    # Airflow's masker (any connection secret a template put into a prompt), then the hook's (the API key).
    line = " ".join(mask(str(redact(str(text)))).split())
    if len(line) > MAX_LABEL_CHARS:
        line = line[: MAX_LABEL_CHARS - 3] + "..."
    try:
        ast.literal_eval(line)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    else:
        line = repr(line)
    context[LABEL_VARIABLE] = line
