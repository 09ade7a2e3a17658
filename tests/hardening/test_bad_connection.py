"""Hostile connections: every field and extra is checked when the connection is read, before any request.

Each case defines ``topview_default`` through its environment variable (as a deployment would) and runs
the real hook, on the worker (sync) and in the triggerer (async): both must refuse it the same way, with
a provider error that is not retried, naming the field and (except a password) the value received.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.client import protocol
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport
from tests.hardening.bad_input import expect_rejected, record_accepted

GROUP = "connection"
MISSING = "/nonexistent/topview/ca.pem"
KEY_WITH_CONTROL = "sk-\x00abc"
KEY_NON_ASCII = "sk-clé-secrète"
KEY_HUGE = "sk-" + "k" * 10_000

# (case id, connection fields over the simulator's, extras, parameter named, value shown or None)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None]] = [
    ("login-control-char", {"login": "uid\x07bell"}, {}, "login", "'uid\\x07bell'"),
    ("login-whitespace-only", {"login": "   "}, {}, "login", "'   '"),
    ("login-huge", {"login": "u" * 10_000}, {}, "login", "10000 characters"),
    ("login-inner-space", {"login": "my uid"}, {}, "login", "'my uid'"),
    ("login-newline", {"login": "uid\nX-Injected: 1"}, {}, "login", "'uid\\nX-Injected: 1'"),
    ("password-control-char", {"password": KEY_WITH_CONTROL}, {}, "password", None),
    ("password-whitespace-only", {"password": " \t "}, {}, "password", None),
    ("password-huge", {"password": KEY_HUGE}, {}, "password", "10003 characters"),
    ("password-non-ascii", {"password": KEY_NON_ASCII}, {}, "password", None),
    ("host-with-spaces", {"host": "api topview ai"}, {}, "host", "'api topview ai'"),
    ("host-ftp", {"host": "ftp://files.example.com"}, {}, "host", "'ftp://files.example.com'"),
    (
        "host-user-password",
        {"host": "https://bob:hunter2@api.example.com"},
        {},
        "host",
        "api.example.com",
    ),
    (
        "host-query",
        {"host": "https://api.example.com/?x=1"},
        {},
        "host",
        "'https://api.example.com/?x=1'",
    ),
    ("host-bare-ipv6", {"host": "::1"}, {}, "host", "'::1'"),
    ("host-port-out-of-range", {"host": "http://127.0.0.1:99999"}, {}, "port", "99999"),
    ("port-field-out-of-range", {"host": "127.0.0.1", "port": 70000}, {}, "port", "70000"),
    ("host-newline", {"host": "api.example.com\nevil.example.com"}, {}, "host", "\\n"),
    ("timeout-negative", {}, {"timeout": -1}, "timeout", "-1"),
    ("timeout-zero", {}, {"timeout": 0}, "timeout", "0"),
    ("timeout-text", {}, {"timeout": "abc"}, "timeout", "'abc'"),
    ("timeout-triple", {}, {"timeout": [1, 2, 3]}, "timeout", "[1, 2, 3]"),
    ("timeout-bool", {}, {"timeout": True}, "timeout", "True"),
    ("timeout-mapping", {}, {"timeout": {"connect": 1}}, "timeout", "{'connect': 1}"),
    ("proxies-list", {}, {"proxies": ["http://proxy:3128"]}, "proxies", "['http://proxy:3128']"),
    ("proxies-not-url", {}, {"proxies": {"https": "not a url"}}, "proxies", "'not a url'"),
    ("proxies-number", {}, {"proxies": {"https": 5}}, "proxies", "5"),
    ("proxies-unknown-scheme", {}, {"proxies": {"gopher": "http://proxy:3128"}}, "proxies", "'gopher'"),
    ("verify-missing-file", {}, {"verify": MISSING}, "verify", repr(MISSING)),
    ("verify-number", {}, {"verify": 5}, "verify", "5"),
    ("verify-ssl-word", {}, {"verify_ssl": "maybe"}, "verify", "'maybe'"),
    ("cert-missing-file", {}, {"cert": MISSING}, "cert", repr(MISSING)),
    ("cert-list-of-three", {}, {"cert": ["a.pem", "b.pem", "c.pem"]}, "cert", "3"),
    ("cert-number", {}, {"cert": 5}, "cert", "5"),
]


def use_connection(
    monkeypatch: pytest.MonkeyPatch, sim: TopviewSimulator, fields: dict[str, Any], extra: dict[str, Any]
) -> None:
    connection = {
        "conn_type": "topview",
        "login": sim.uid,
        "password": sim.api_key,
        "host": sim.base_url,
        **fields,
        "extra": json.dumps(extra),
    }
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))


def secrets_of(fields: dict[str, Any]) -> list[str]:
    password = fields.get("password")
    shown = [password, password.strip()] if isinstance(password, str) and password.strip() else []
    return ["sk-test-key", *shown, "hunter2"]


@pytest.mark.parametrize(
    ("fields", "extra", "parameter", "shown"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_worker_hook_refuses_the_connection_before_any_request(
    topview_simulator: TopviewSimulator,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    fields: dict[str, Any],
    extra: dict[str, Any],
    parameter: str,
    shown: str | None,
) -> None:
    use_connection(monkeypatch, topview_simulator, fields, extra)
    hook = TopviewHook(retry_limit=1)
    expect_rejected(
        hardening_report,
        GROUP,
        topview_simulator,
        hook.get_credit,
        parameter=parameter,
        shown=shown,
        secrets=secrets_of(fields),
    )


@pytest.mark.parametrize(
    ("fields", "extra", "parameter", "shown"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
async def test_triggerer_hook_refuses_the_same_connection(
    topview_simulator: TopviewSimulator,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    fields: dict[str, Any],
    extra: dict[str, Any],
    parameter: str,
    shown: str | None,
) -> None:
    use_connection(monkeypatch, topview_simulator, fields, extra)
    hook = TopviewAsyncHook(retry_limit=1)
    error: BaseException | None = None
    try:
        await hook.get_image_to_video_task("0" * 32)
    except Exception as exc:
        error = exc

    def raise_it() -> None:
        if error is not None:
            raise error

    expect_rejected(
        hardening_report,
        f"{GROUP}, triggerer",
        topview_simulator,
        raise_it,
        parameter=parameter,
        shown=shown,
        secrets=secrets_of(fields),
    )


def test_submit_operator_fails_once_on_a_bad_connection(
    topview_simulator: TopviewSimulator,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    dag_runner: DagRunner,
) -> None:
    """The operator path: a real DAG run with retries fails the task at its first try, sending nothing."""
    use_connection(monkeypatch, topview_simulator, {}, {"timeout": "abc"})
    result = dag_runner.run("topview_test_bad_input", conf={"first": "frame-1", "count": "1"})
    ok = result.state == "failed" and result.tries[("submit", -1)] == 1
    ok = ok and topview_simulator.journal == [] and "extra 'timeout'" in result.log
    record_accepted_or_rejected(hardening_report, ok)
    assert result.state == "failed", result.log[-3000:]
    assert result.tries[("submit", -1)] == 1
    assert topview_simulator.journal == []
    assert "extra 'timeout'" in result.log


def record_accepted_or_rejected(report: HardeningReport, ok: bool) -> None:
    report.note("bad inputs (connection, in a DAG run)", "failed at the first try, no request")
    report.record("bad inputs (connection, in a DAG run)", ok)


# --- documented as accepted ------------------------------------------------------------------------


def test_unknown_extras_are_accepted_never_sent(
    topview_connection: TopviewSimulator,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
) -> None:
    """Unknown extras are documented as ignored (with a warning): Airflow's UI adds some of its own."""
    use_connection(monkeypatch, topview_connection, {}, {"headers": {"X-Evil": "1"}, "team": "video"})
    TopviewHook(retry_limit=1).get_credit()
    sent = topview_connection.requests_to("credit")
    ok = len(sent) == 1 and "x-evil" not in {name.lower() for name in sent[0].headers}
    ok = ok and "ignored" in (protocol.request_options.__doc__ or "")
    record_accepted(hardening_report, GROUP, ok)
    assert ok


@pytest.mark.parametrize(
    ("host", "port", "base_url"),
    [
        ("[::1]", 8080, "https://[::1]:8080"),
        ("http://[::1]:9000", None, "http://[::1]:9000"),
        ("https://gateway.example.com/topview/", None, "https://gateway.example.com/topview"),
        ("  api.topview.ai  ", None, "https://api.topview.ai"),
    ],
    ids=["ipv6-brackets-port-field", "ipv6-brackets-port", "host-with-path", "host-padded"],
)
def test_odd_but_valid_hosts_are_accepted_as_documented(
    hardening_report: HardeningReport, host: str, port: int | None, base_url: str
) -> None:
    """IPv6 in brackets keeps its port; a path is a gateway prefix (documented on normalize_base_url)."""
    ok = protocol.normalize_base_url(host, port) == base_url and "path" in (
        protocol.normalize_base_url.__doc__ or ""
    )
    record_accepted(hardening_report, GROUP, ok)
    assert protocol.normalize_base_url(host, port) == base_url


def test_numeric_text_timeout_is_accepted(tmp_path: Path, hardening_report: HardeningReport) -> None:
    """A timeout typed as text in the UI's JSON ("30") is a number: documented on request_options."""
    ok = protocol.request_options({"timeout": "30"}).timeout == 30.0
    record_accepted(hardening_report, GROUP, ok)
    assert ok
