"""Video downloads: real MP4 bytes behind signed, expiring URLs that a fresh query renews."""

from __future__ import annotations

import time

import requests

from .conftest import Api


def test_download_returns_an_mp4(api: Api) -> None:
    result = api.run_to_end(api.submit_ok(generatingCount=2))
    for video in result["videos"]:
        resp = requests.get(video["filePath"], timeout=5)
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "video/mp4"
        assert resp.content[4:8] == b"ftyp"
        assert 1000 < len(resp.content) < 20_000
    downloads = api.sim.requests_to("download")
    assert len(downloads) == 2
    assert all(entry.status == 200 for entry in downloads)


def test_expired_urls_are_refused_until_the_task_is_queried_again(api: Api) -> None:
    task_id = api.submit_ok()
    old_url = api.run_to_end(task_id)["videos"][0]["filePath"]
    api.sim.expire_urls()
    refused = requests.get(old_url, timeout=5)
    assert refused.status_code == 403
    assert "AccessDenied" in refused.text
    new_url = api.query(task_id)["result"]["videos"][0]["filePath"]
    assert new_url != old_url
    fresh = requests.get(new_url, timeout=5)
    assert fresh.status_code == 200
    assert fresh.content[4:8] == b"ftyp"


def test_urls_expire_after_their_ttl(api: Api) -> None:
    api.sim.url_ttl = -60  # issued already expired
    task_id = api.submit_ok()
    url = api.run_to_end(task_id)["videos"][0]["filePath"]
    resp = requests.get(url, timeout=5)
    assert resp.status_code == 403
    assert "expired" in resp.text
    api.sim.url_ttl = 3600
    assert requests.get(api.query(task_id)["result"]["videos"][0]["filePath"], timeout=5).status_code == 200


def test_tampered_or_unsigned_urls_are_refused(api: Api) -> None:
    url = api.run_to_end(api.submit_ok())["videos"][0]["filePath"]
    assert requests.get(url.replace("Signature=", "Signature=f"), timeout=5).status_code == 403
    assert requests.get(url.split("?")[0], timeout=5).status_code == 403
    other_index = url.replace("/0.mp4", "/1.mp4")
    assert requests.get(other_index, timeout=5).status_code == 403


def test_failed_video_has_no_file(api: Api) -> None:
    api.sim.script_next_task(outcome="partial", failed_videos=[0])
    task_id = api.submit_ok(generatingCount=2)
    result = api.run_to_end(task_id)
    assert result["videos"][0]["filePath"] is None
    good = result["videos"][1]["filePath"]
    # A validly signed URL for the failed index does not exist on the storage side.
    signed_for_failed = api.sim._state.signer.video_url(api.sim.base_url, task_id, 0, time.time())
    assert requests.get(signed_for_failed, timeout=5).status_code == 404
    assert requests.get(good, timeout=5).status_code == 200


def test_download_needs_no_topview_headers(api: Api) -> None:
    url = api.run_to_end(api.submit_ok())["videos"][0]["filePath"]
    assert requests.get(url, headers={}, timeout=5).status_code == 200
    entry = api.sim.requests_to("download")[-1]
    assert "Authorization" not in entry.headers
