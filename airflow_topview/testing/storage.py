"""The storage side (S3-like): presigned uploads and signed video downloads, with XML errors, no envelope.

The video served for every generated file is ``SimulatorState.video_bytes``: the bundled tiny MP4
unless a test sets bigger bytes to exercise streaming, timeouts and truncation.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from aiohttp import web

from airflow_topview.testing.answers import CHUNK, drain, s3_error

if TYPE_CHECKING:
    from airflow_topview.testing.answers import RequestBody
    from airflow_topview.testing.state import SimulatorState


async def upload(state: SimulatorState, request: web.Request, body: RequestBody) -> web.StreamResponse:
    """``PUT`` to a presigned URL: keeps only size and SHA-256; TopView headers break the signature."""
    file_id = request.match_info["file_id"]
    leaked = [name for name in ("Authorization", "Topview-Uid") if name in request.headers]
    if leaked:
        body.size = await drain(request)
        return s3_error(
            403,
            "InvalidArgument",
            f"Only the presigned query authenticates this URL; unexpected header(s): {', '.join(leaked)}",
        )
    signature = request.query.get("X-Amz-Signature", "")
    if not state.upload_allowed(file_id, signature):
        body.size = await drain(request)
        return s3_error(403, "SignatureDoesNotMatch", "The request signature does not match.")
    digest = hashlib.sha256()  # fast (SHA-NI): a 1 GiB upload costs well under a second
    async for chunk in request.content.iter_chunked(CHUNK):
        digest.update(chunk)
        body.size += len(chunk)
    state.record_upload(file_id, body.size, digest.hexdigest())
    return web.Response(status=200, headers={"ETag": f'"{digest.hexdigest()}"'})


def download(state: SimulatorState, request: web.Request) -> web.StreamResponse:
    """``GET`` of a signed video URL: 403 when tampered or expired, 404 for a video that failed."""
    task_id, index = request.match_info["task_id"], int(request.match_info["index"])
    verdict = state.signer.check_video(
        task_id, index, request.query.get("Expires", ""), request.query.get("Signature", ""), time.time()
    )
    if verdict == "bad":
        return s3_error(403, "AccessDenied", "Signature does not match or the URL was revoked.")
    if verdict == "expired":
        return s3_error(403, "AccessDenied", "Request has expired")
    if not state.video_available(task_id, index):
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")
    return web.Response(body=state.video_bytes, content_type="video/mp4")
