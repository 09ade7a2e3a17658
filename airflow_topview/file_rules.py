"""Rules for moving files to and from TopView: upload formats and the names of downloaded videos.

Shared by the hook (which moves the bytes) and the file operators (which check their input before any
request), so this module imports nothing heavy: the operators import it at DAG parse time.
"""

from __future__ import annotations

import posixpath
import string
from urllib.parse import urlsplit

from airflow_topview.exceptions import RequestValidationError

#: File formats TopView's upload credential call accepts (``GET /v1/upload/credential?format=<ext>``).
UPLOAD_FORMATS: tuple[str, ...] = (
    "png",
    "jpg",
    "jpeg",
    "bmp",
    "webp",
    "mp4",
    "mov",
    "avi",
    "mp3",
    "wav",
    "m4a",
)

#: Default name of a downloaded video: unique per TopView task and video, stable across reruns.
DEFAULT_FILENAME_TEMPLATE = "{topview_task_id}_{index}.mp4"

#: Placeholders a ``filename_template`` may use.
FILENAME_FIELDS: tuple[str, ...] = ("topview_task_id", "index", "width", "height")


def is_http_url(source: str) -> bool:
    """Whether an upload source is an http(s) URL (fetched with a plain GET, never with TopView's headers)."""
    return source.strip().lower().startswith(("http://", "https://"))


def upload_format(source: str, file_format: str | None = None) -> str:
    """The upload format for ``source``: ``file_format`` when given, else the extension of its file name.

    Raises ValueError naming ``source`` or ``file_format`` and the formats TopView accepts, so that a file
    TopView would refuse is refused before any request is sent.
    """
    allowed = ", ".join(UPLOAD_FORMATS)
    if file_format is not None and str(file_format).strip():
        fmt = str(file_format).strip().lower().lstrip(".")
        if fmt not in UPLOAD_FORMATS:
            raise RequestValidationError(
                f"file_format {file_format!r} is not a format TopView accepts ({allowed})"
            )
        return fmt
    shown = source.split("?", 1)[0] if "://" in source else source  # a URL's query may hold a signature
    try:
        path = urlsplit(source).path if "://" in source else source
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise RequestValidationError(f"source {shown!r} is not a valid URL: {exc}") from None
    name = path.rstrip("/").rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    fmt = extension.lower() if dot and stem else ""
    if not fmt:
        raise RequestValidationError(
            f"source {shown!r} has no file extension to take the format from; "
            f"set file_format to one of: {allowed}"
        )
    if fmt not in UPLOAD_FORMATS:
        raise RequestValidationError(
            f"source {shown!r} has the extension .{fmt}, which TopView does not accept for uploads "
            f"(allowed: {allowed}); convert the file, or set file_format if the extension is misleading"
        )
    return fmt


#: Schemes that are not storage: refused as upload sources before anything is fetched.
_NOT_STORAGE_SCHEMES = frozenset({"ftp", "ftps", "gopher", "data", "javascript", "mailto", "telnet", "ldap"})
#: Longest file name a downloaded video may get (most file systems stop at 255 bytes per name).
MAX_FILENAME_BYTES = 255


def check_source(source: str) -> None:
    """Refuse an upload source no request should be made for: a NUL byte, a scheme that is not storage.

    http(s) URLs are fetched; other ``scheme://`` sources must be object storage that fsspec knows
    (``file``, ``s3``, ``gs``, ...), never ``ftp``, ``data`` or an unknown scheme.
    """
    if "\x00" in source:
        raise RequestValidationError(f"source {source!r}: a path cannot contain a NUL byte")
    if "://" not in source or is_http_url(source):
        return
    scheme = source.split("://", 1)[0].strip().lower()
    from fsspec.registry import known_implementations, registry

    if scheme in _NOT_STORAGE_SCHEMES or (scheme not in known_implementations and scheme not in registry):
        shown = source.split("?", 1)[0]
        raise RequestValidationError(
            f"source {shown!r}: the scheme {scheme!r} is not an http(s) URL or an object storage this "
            "provider reads (file://, s3://, gs://, ... with their Airflow provider)"
        )


def video_filename(
    template: str, *, topview_task_id: str, index: int, width: int | None = None, height: int | None = None
) -> str:
    """The file name (relative to the destination) of video ``index`` of a task, from ``template``.

    Placeholders: ``{topview_task_id}``, ``{index}`` (position in the task's ``videos``, from 0), ``{width}``,
    ``{height}``. The result must stay inside the destination: no absolute path, no ``..``.
    """
    if not isinstance(template, str):
        raise RequestValidationError(f"filename_template must be text, got {template!r}")
    if any(ord(char) < 32 for char in template):
        raise RequestValidationError(f"filename_template {template!r} contains control characters")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise RequestValidationError(
            f"filename_template {template!r} is not a valid format string: {exc}"
        ) from None
    unknown = sorted({name for name in fields if name.split(".")[0].split("[")[0] not in FILENAME_FIELDS})
    if unknown:
        raise RequestValidationError(
            f"filename_template {template!r} uses unknown placeholder(s) {', '.join(unknown)}; "
            f"available: {', '.join('{' + name + '}' for name in FILENAME_FIELDS)}"
        )
    try:
        name = template.format(topview_task_id=topview_task_id, index=index, width=width, height=height)
    except (ValueError, IndexError, AttributeError, TypeError, KeyError) as exc:
        raise RequestValidationError(f"filename_template {template!r} cannot be filled in: {exc}") from None
    try:
        name.encode()
    except UnicodeEncodeError:
        raise RequestValidationError(
            f"filename_template {template!r} gives a name that is not valid text (a lone surrogate)"
        ) from None
    normalized = posixpath.normpath(name) if name else ""
    if not name.strip() or name.startswith("/") or normalized == "." or normalized.startswith(".."):
        raise RequestValidationError(
            f"filename_template {template!r} gives {name!r}: it must name a file inside the destination"
        )
    if any(len(part.encode()) > MAX_FILENAME_BYTES for part in normalized.split("/")):
        raise RequestValidationError(
            f"filename_template {template!r} gives a name longer than {MAX_FILENAME_BYTES} bytes: "
            f"{name[:60]!r}..."
        )
    return normalized


def check_filename_template(template: str) -> None:
    """Raise ValueError when ``template`` cannot name videos (bad placeholder, escapes the destination)."""
    video_filename(template, topview_task_id="0" * 32, index=0, width=1280, height=720)
