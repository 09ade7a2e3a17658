"""Shape rules for text a DAG hands the provider: ids, names, prompts. One rule each, used everywhere.

TopView's ids are short tokens; a template can render anything into them (a whole file, a newline, a
padded value, an XCom that was missing). These checks refuse such text before any request, with a
message that shows the value (cut short, with its length, when it is huge). Imports nothing heavy.
"""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING, Any

from airflow_topview.exceptions import RequestValidationError

if TYPE_CHECKING:
    from pydantic import ValidationError

#: Longest id (file, task, board) or model name taken; TopView's ids are 32 characters.
MAX_TOKEN_CHARS = 256
#: Longest prompt taken: a runaway guard (a template rendering a whole document), not TopView's limit.
MAX_PROMPT_CHARS = 20_000
#: Longest callback URL taken.
MAX_URL_CHARS = 2048
#: Text a template renders for a missing value; never an id.
MISSING_VALUE_TEXTS = frozenset({"None", "null", "undefined"})


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters with the value's length when longer."""
    text = repr(value)
    if len(text) <= limit:
        return text
    length = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters shown"
    return f"{text[: limit - 3]}... ({length})"


def _control(text: str, allowed: str = "") -> bool:
    return any((ord(char) < 32 or 127 <= ord(char) < 160) and char not in allowed for char in text)


def check_token(value: str, what: str = "an id") -> str:
    """An id as TopView issues them: printable, no whitespace anywhere, at most 256 characters."""
    if len(value) > MAX_TOKEN_CHARS:
        raise RequestValidationError(
            f"must be {what} of at most {MAX_TOKEN_CHARS} characters, got {shown(value)}"
        )
    if any(char.isspace() for char in value) or _control(value):
        raise RequestValidationError(
            f"must be {what} without spaces or control characters, got {shown(value)}"
        )
    if value in MISSING_VALUE_TEXTS:
        raise RequestValidationError(
            f"must be {what}, got the text {value!r} (a template of a missing value?)"
        )
    return value


def check_line(value: str, what: str = "a name", limit: int = MAX_TOKEN_CHARS) -> str:
    """One line of text (a model name, a field name): no control characters, not padded, bounded."""
    if len(value) > limit:
        raise RequestValidationError(f"must be {what} of at most {limit} characters, got {shown(value)}")
    if _control(value) or value != value.strip():
        raise RequestValidationError(
            f"must be {what} on one line, without control characters or padding, got {shown(value)}"
        )
    return value


def check_text(value: str, what: str = "text", limit: int = MAX_PROMPT_CHARS) -> str:
    """Free text (a prompt): line breaks and tabs are fine, other control characters are not; bounded."""
    if len(value) > limit:
        raise RequestValidationError(f"must be {what} of at most {limit} characters, got {shown(value)}")
    if _control(value, allowed="\n\r\t"):
        raise RequestValidationError(
            f"must be {what} without control characters (other than line breaks), got {shown(value)}"
        )
    return value


def parse_list_literal(value: str) -> Any:
    """Read a list that a template rendered to text: JSON (``["a","b"]``) or Python repr (``['a', 'b']``)."""
    text = value.strip()
    if not text.startswith("["):
        raise RequestValidationError(f"must be a list of file ids, got the text {value!r}")
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        raise RequestValidationError(
            f"must be a list of file ids, got text that is not a list: {value!r}"
        ) from None


def describe_validation_error(exc: ValidationError, label: str = "Image-to-Video") -> str:
    """One line per problem, each naming the parameter, the rule and (trimmed) the value received."""
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = f"is not a parameter of the {label} submit call"
        elif "got " not in message and where and error.get("input") is not None:
            message = f"{message}, got {shown(error['input'])}"
        lines.append(f"{where}: {message}" if where else message)
    return f"Invalid {label} request: " + "; ".join(lines)
