"""SSRF refusals: connection URLs must be https and public (loopback only for the sandbox)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Connection
from services.connect import connections as conns
from services.connect.outbound import Outbound
from services.core.config import load_settings
from services.runtime import http
from services.runtime.netguard import UnsafeUrl, check_url, guard

FAKE_DNS = {"api.example.com": ["93.184.216.34"], "intranet.example.com": ["192.168.1.10"],
            "metadata.example.com": ["169.254.169.254"], "sneaky.example.com": ["93.184.216.34", "10.0.0.7"],
            "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"], "ula.example.com": ["fd00::1"],
            "lo.example.com": ["127.0.0.1"]}


def resolver(host: str) -> list[str]:
    if host not in FAKE_DNS:
        raise UnsafeUrl(f"{host}: the host name does not resolve")
    return FAKE_DNS[host]


@pytest.mark.parametrize("url, why", [
    ("http://api.example.com", "must use https"),
    ("https://intranet.example.com/api", "private"),
    ("https://metadata.example.com/latest/meta-data/", "private"),
    ("https://169.254.169.254/latest/meta-data/", "private"),
    ("https://10.1.2.3", "private"),
    ("https://172.16.0.1", "private"),
    ("https://100.64.0.1", "private"),                  # carrier-grade NAT
    ("https://[fd00::1]", "private"),
    ("https://[::ffff:10.0.0.1]", "private"),          # IPv4-mapped IPv6
    ("https://[fe80::1]", "private"),
    ("https://0.0.0.0", "private"),
    ("https://sneaky.example.com", "private"),         # one private address among public ones
    ("https://ula.example.com", "private"),
    ("https://127.0.0.1:8501/x", "loopback"),
    ("https://lo.example.com", "loopback"),
    ("https://[::1]/", "loopback"),
    ("https://user:pw@api.example.com", "credentials in the URL"),
    ("ftp://api.example.com", "not an absolute http"),
    ("api.example.com/path", "not an absolute http"),
    ("https://nowhere.example.com", "does not resolve"),
])
def test_unsafe_urls_are_refused(url, why):
    with pytest.raises(UnsafeUrl, match=why):
        check_url(url, sandbox_enabled=False, resolver=resolver)


def test_public_https_and_sandbox_loopback_are_allowed():
    assert check_url("https://api.example.com/v1/", sandbox_enabled=False, resolver=resolver) \
        == "https://api.example.com/v1/"
    assert check_url("https://v6.example.com", sandbox_enabled=False, resolver=resolver)
    assert check_url("http://127.0.0.1:8501/sandbox/x", sandbox_enabled=True, resolver=resolver)
    with pytest.raises(UnsafeUrl):   # the sandbox opens loopback only, not private networks
        check_url("https://10.1.2.3", sandbox_enabled=True, resolver=resolver)


def _no_calls(request: http.Request) -> http.Response:
    raise AssertionError(f"the Hub must not call {request.url}")


@pytest.mark.parametrize("field, value", [("account_url", "https://intranet.example.com"),
                                          ("account_url", "https://169.254.169.254"),
                                          ("account_url", "http://127.0.0.1:9/")])
def test_connection_with_an_unsafe_url_is_refused_before_any_call(session, world, monkeypatch, field, value):
    monkeypatch.setenv("HUB_SANDBOX", "0")
    out = Outbound(load_settings(), transport=http.MockTransport(_no_calls), resolver=resolver)
    with pytest.raises(UnsafeUrl):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="activecampaign",
                             auth_type="api_key", values={field: value, "api_key": "fake-key-00000000"}, out=out)
    assert session.scalars(select(Connection)).all() == []


def test_base_url_override_is_checked_too(session, world, monkeypatch):
    monkeypatch.setenv("HUB_SANDBOX", "0")
    out = Outbound(load_settings(), transport=http.MockTransport(_no_calls), resolver=resolver)
    with pytest.raises(UnsafeUrl, match="Base URL"):
        conns.add_connection(session, actor=world.staff_email, organization_id=world.org_id, slug="hubspot",
                             auth_type="api_key", values={"api_key": "fake-key-00000000"},
                             base_url="https://metadata.example.com", out=out)


def test_request_time_guard_blocks_rebinding_and_redirects_are_not_followed():
    calls: list[str] = []

    def transport(request: http.Request) -> http.Response:
        calls.append(str(request.url))
        return http.Response(302, headers={"Location": "https://169.254.169.254/latest/meta-data/"})

    with http.make_client(transport=http.MockTransport(transport),
                          url_guard=guard(sandbox_enabled=False, resolver=resolver)) as client:
        with pytest.raises(UnsafeUrl):
            client.get("https://intranet.example.com/")        # DNS now points inside: refused at send time
        response = client.get("https://api.example.com/")
    assert response.status_code == 302 and calls == ["https://api.example.com/"]   # redirect not followed


def test_a_resolver_answer_that_is_no_ip_address_is_refused_and_names_are_resolved_every_time():
    calls: list[str] = []

    def resolver(host: str) -> list[str]:
        calls.append(host)
        return ["93.184.215.14"] if len(calls) == 1 else ["10.0.0.7"]     # rebinding to a private address
    assert check_url("https://api.example.com", sandbox_enabled=False, resolver=resolver)
    with pytest.raises(UnsafeUrl, match="10.0.0.7"):
        check_url("https://api.example.com", sandbox_enabled=False, resolver=resolver)
    assert calls == ["api.example.com", "api.example.com"], "what a name resolves to is never cached"
    with pytest.raises(UnsafeUrl, match="not an IP address"):
        check_url("https://odd.example.com", sandbox_enabled=False, resolver=lambda host: ["odd-answer"])
