"""``POST /notice/notice_url/check``: TopView's docs do not say where ``noticeUrl`` goes, so the simulator
reads the query string and a JSON body; every copy sent must be an http(s) URL."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import AUTH, Api

CHECK = "/notice/notice_url/check"
GOOD = "https://example.com/hook"


@pytest.mark.parametrize(
    ("query", "body"),
    [
        pytest.param({"noticeUrl": GOOD}, None, id="query-only"),
        pytest.param({}, {"noticeUrl": GOOD}, id="body-only"),
        pytest.param({"noticeUrl": GOOD}, {"noticeUrl": GOOD}, id="both"),
        pytest.param({}, {"noticeUrl": "http://127.0.0.1:9/cb", "other": 1}, id="body-with-other-keys"),
        pytest.param({"noticeUrl": GOOD}, {"noticeUrl": ""}, id="query-and-blank-body"),
    ],
)
def test_a_url_in_the_query_or_the_body_is_accepted(api: Api, query: dict[str, str], body: Any) -> None:
    payload = api.post(CHECK, body, **query).json()
    assert (payload["code"], payload["result"]) == ("200", True)


@pytest.mark.parametrize(
    ("query", "body"),
    [
        pytest.param({}, None, id="nothing"),
        pytest.param({}, {}, id="empty-body"),
        pytest.param({}, {"noticeUrl": None}, id="null"),
        pytest.param({}, {"noticeUrl": ""}, id="blank-body"),
        pytest.param({"noticeUrl": "  "}, None, id="blank-query"),
        pytest.param({}, {"noticeUrl": "  "}, id="whitespace-body"),
        pytest.param({}, ["https://example.com/hook"], id="body-not-an-object"),
    ],
)
def test_no_url_anywhere_is_4003(api: Api, query: dict[str, str], body: Any) -> None:
    payload = api.post(CHECK, body, **query).json()
    assert payload["code"] == "4003"
    assert "noticeUrl" in payload["message"]


@pytest.mark.parametrize(
    ("query", "body"),
    [
        pytest.param({}, {"noticeUrl": "ftp://example.com"}, id="body-ftp"),
        pytest.param({}, {"noticeUrl": "not a url"}, id="body-not-a-url"),
        pytest.param({}, {"noticeUrl": 42}, id="body-not-a-string"),
        pytest.param({}, {"noticeUrl": "http://[::1"}, id="body-broken-ipv6"),
        pytest.param({"noticeUrl": "https://"}, None, id="query-no-host"),
        pytest.param({"noticeUrl": GOOD}, {"noticeUrl": "ftp://example.com"}, id="good-query-bad-body"),
        pytest.param({"noticeUrl": "ftp://example.com"}, {"noticeUrl": GOOD}, id="bad-query-good-body"),
    ],
)
def test_a_url_that_is_not_http_is_4000(api: Api, query: dict[str, str], body: Any) -> None:
    payload = api.post(CHECK, body, **query).json()
    assert payload["code"] == "4000"
    assert "noticeUrl" in payload["message"]


def test_a_body_that_is_not_json_does_not_hide_the_query(api: Api) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    resp = api.http.post(
        api.url(CHECK), params={"noticeUrl": GOOD}, data=b"{nope", headers=headers, timeout=5
    )
    assert resp.json()["code"] == "200"
    resp = api.http.post(api.url(CHECK), data=b"{nope", headers=headers, timeout=5)
    assert resp.json()["code"] == "4003"


def test_the_journal_keeps_both_places(api: Api) -> None:
    api.post(CHECK, {"noticeUrl": GOOD}, noticeUrl=GOOD)
    entry = api.sim.requests_to("notice_check")[-1]
    assert (entry.query, entry.json) == ({"noticeUrl": GOOD}, {"noticeUrl": GOOD})
