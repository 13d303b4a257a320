"""The WordPress sandbox behaves like core's REST API where the Hub relies on it: posts and pages
(create, update, list with per_page/page/status/search and X-WP-Total / X-WP-TotalPages), comments,
application passwords over Basic auth and WordPress.com Bearer tokens, core's error body
{"code", "message", "data": {"status"}}, fault switches and per-site state."""

from __future__ import annotations

import base64
import time

import pytest

from services import sandbox
from services.providers.wordpress import sandbox as wp
from services.sandbox import faults
from tests.sandbox_support import examples, sandbox_client

SITE = "/sandbox/wordpress/site"
WP = f"{SITE}/wp-json/wp/v2"
WPCOM = "/sandbox/wordpress/wpcom/wp/v2/sites/acme.wordpress.com"


def basic_auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


ACME = basic_auth("editor", "sbx_acme")
BETA = basic_auth("editor", "sbx_beta")


@pytest.fixture
def client():
    with sandbox_client(sandbox) as c:
        yield c


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert response.status_code == status and body["code"] == code and body["data"]["status"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    return body


# --------------------------------------------------------------------------- posts and pages
def test_the_catalogs_create_request(client):
    method, path, _ = examples("wordpress", "create_post")
    url = sandbox.default_config("wordpress", "http://testserver")["site_url"] + "/wp-json/wp/v2" + path
    assert url == f"http://testserver{WP}/posts"
    body = {"title": "Hello from Layers", "content": "<p>Body</p>", "status": "draft", "excerpt": "A short summary"}
    created = client.request(method, url, json=body, headers=ACME)
    assert created.status_code == 201
    data = created.json()
    assert data["id"] == 124 and data["status"] == "draft" and data["type"] == "post"
    assert data["title"] == {"rendered": "Hello from Layers", "raw": "Hello from Layers"}
    assert data["content"]["raw"] == "<p>Body</p>" and data["link"].endswith(f"/?p={data['id']}")
    assert created.headers["Location"].endswith(f"/wp-json/wp/v2/posts/{data['id']}")
    assert wp.state("acme")["posts"]["124"]["title"] == "Hello from Layers"
    assert "124" not in wp.state("beta")["posts"]


def test_create_page_and_form_encoded_bodies(client):
    page = client.post(f"{WP}/pages", data={"title": "About us", "content": "Who we are", "status": "publish"},
                       headers=ACME)
    assert page.status_code == 201
    data = page.json()
    assert data["type"] == "page" and data["slug"] == "about-us" and data["link"].endswith("/about-us/")
    assert data["content"]["rendered"] == "<p>Who we are</p>\n" and "parent" in data
    twin = client.post(f"{WP}/posts", json={"title": "Hello world!", "status": "publish"}, headers=ACME)
    assert twin.json()["slug"] == "hello-world-2"                            # slugs stay unique


def test_create_errors(client):
    assert_error(client.post(f"{WP}/posts", json={"title": "x", "status": "live"}, headers=ACME),
                 400, "rest_invalid_param")
    assert_error(client.post(f"{WP}/posts", json={"status": "draft"}, headers=ACME), 400, "empty_content")
    assert_error(client.post(f"{WP}/posts", json={"title": "x"}), 401, "rest_cannot_create")
    assert_error(client.post(f"{WP}/posts", content=b"{oops", headers={**ACME, "Content-Type": "application/json"}),
                 400, "rest_invalid_json")
    body = assert_error(client.post(f"{WP}/posts", json={"title": "x", "status": 5}, headers=ACME),
                        400, "rest_invalid_param")
    assert "status" in body["data"]["params"]


def test_update_post_and_page(client):
    for method in ("POST", "PUT", "PATCH"):
        updated = client.request(method, f"{WP}/posts/123", json={"title": f"Launch ({method})"}, headers=ACME)
        assert updated.status_code == 200 and updated.json()["title"]["raw"] == f"Launch ({method})"
    assert wp.state("acme")["posts"]["123"]["title"] == "Launch (PATCH)"
    page = client.post(f"{WP}/pages/2", json={"content": {"raw": "New text"}, "menu_order": 3}, headers=ACME)
    assert page.status_code == 200 and page.json()["menu_order"] == 3
    assert_error(client.post(f"{WP}/posts/999", json={"title": "x"}, headers=ACME), 404, "rest_post_invalid_id")
    assert_error(client.post(f"{WP}/pages/123", json={"title": "x"}, headers=ACME), 404, "rest_post_invalid_id")
    assert_error(client.post(f"{WP}/posts/123", json={"title": "x"}), 401, "rest_cannot_edit")
    future = client.post(f"{WP}/posts/123", json={"status": "future", "date": "2020-01-01T00:00:00"}, headers=ACME)
    assert future.json()["status"] == "publish"                              # a past date publishes at once


def test_list_posts_with_pagination_headers(client):
    for n in range(12):
        client.post(f"{WP}/posts", json={"title": f"Post {n}", "status": "publish" if n % 2 else "draft"},
                    headers=ACME)
    first = client.get(f"{WP}/posts?per_page=5", headers=ACME)
    assert first.status_code == 200 and len(first.json()) == 5
    assert first.headers["X-WP-Total"] == "8" and first.headers["X-WP-TotalPages"] == "2"   # 6 new + 2 seeded
    second = client.get(f"{WP}/posts?per_page=5&page=2", headers=ACME)
    assert len(second.json()) == 3
    drafts = client.get(f"{WP}/posts?status=draft&per_page=100", headers=ACME)
    assert drafts.headers["X-WP-Total"] == "6" and {p["status"] for p in drafts.json()} == {"draft"}
    found = client.get(f"{WP}/posts?search=launch", headers=ACME)
    assert [p["id"] for p in found.json()] == [123]
    assert [p["type"] for p in client.get(f"{WP}/pages", headers=ACME).json()] == ["page"]
    assert_error(client.get(f"{WP}/posts?per_page=101", headers=ACME), 400, "rest_invalid_param")
    assert_error(client.get(f"{WP}/posts?page=9", headers=ACME), 400, "rest_post_invalid_page_number")
    edit = client.get(f"{WP}/posts?context=edit&per_page=1", headers=ACME).json()[0]
    assert "raw" in edit["title"]


def test_anonymous_reads_see_published_posts_only(client):
    client.post(f"{WP}/posts", json={"title": "Secret", "status": "draft"}, headers=basic_auth("x", "sbx_default"))
    public = client.get(f"{WP}/posts")
    assert public.status_code == 200 and all(p["status"] == "publish" for p in public.json())
    assert "raw" not in public.json()[0]["title"]
    assert_error(client.get(f"{WP}/posts?status=draft"), 400, "rest_invalid_param")
    assert_error(client.get(f"{WP}/users/me"), 401, "rest_not_logged_in")


# --------------------------------------------------------------------------- comments
def test_add_comment(client):
    created = client.post(f"{WP}/comments", json={"post": 123, "content": "Thanks for reading!",
                                                   "author_name": "Jane Doe",
                                                   "author_email": "jane.doe@example.com"}, headers=ACME)
    assert created.status_code == 201
    data = created.json()
    assert data["post"] == 123 and data["status"] == "approved" and data["author_name"] == "Jane Doe"
    assert data["content"]["raw"] == "Thanks for reading!"
    reply = client.post(f"{WP}/comments", json={"post": 123, "content": "Reply", "parent": data["id"]}, headers=ACME)
    assert reply.status_code == 201 and reply.json()["parent"] == data["id"]
    listed = client.get(f"{WP}/comments?post=123", headers=ACME)
    assert [c["id"] for c in listed.json()] == [data["id"], reply.json()["id"]] and listed.headers["X-WP-Total"] == "2"
    assert len(wp.state("acme")["comments"]) == 2


def test_comment_errors(client):
    assert_error(client.post(f"{WP}/comments", json={"post": 123, "content": "Hi"}), 401,
                 "rest_comment_login_required")
    assert_error(client.post(f"{WP}/comments", json={"post": 999, "content": "Hi"}, headers=ACME), 403,
                 "rest_comment_invalid_post_id")
    assert_error(client.post(f"{WP}/comments", json={"post": 123, "content": " "}, headers=ACME), 400,
                 "rest_comment_content_invalid")
    assert_error(client.post(f"{WP}/comments", json={"post": 123, "content": "Hi", "parent": 77}, headers=ACME),
                 400, "rest_comment_invalid_parent")
    assert client.post(f"{WP}/comments", json={"post": 123, "content": "Hi"}, headers=ACME).status_code == 201
    assert_error(client.post(f"{WP}/comments", json={"post": 123, "content": "Hi"}, headers=ACME), 409,
                 "comment_duplicate")
    client.post(f"{WP}/posts/123", json={"comment_status": "closed"}, headers=ACME)
    assert_error(client.post(f"{WP}/comments", json={"post": 123, "content": "Late"}, headers=ACME), 403,
                 "rest_comment_closed")


# --------------------------------------------------------------------------- auth, WordPress.com, faults
def test_bad_application_passwords_are_401_even_on_public_reads(client):
    for headers in (basic_auth("editor", "abcd efgh ijkl mnop"), {"Authorization": "Basic !!!"},
                    {"Authorization": "Bearer not-a-token"}):
        assert_error(client.get(f"{WP}/posts", headers=headers), 401, "incorrect_password")
    me = client.get(f"{WP}/users/me", headers=ACME)
    assert me.status_code == 200 and me.json()["name"] == "editor"


def test_wordpress_com_routes_use_the_bearer_token(client):
    token = {"Authorization": "Bearer sbx_acme.wpcom-token"}
    created = client.post(f"{WPCOM}/posts", json={"title": "From .com", "status": "publish"}, headers=token)
    assert created.status_code == 201
    listed = client.get(f"{WPCOM}/posts?search=from", headers=token)
    assert [p["id"] for p in listed.json()] == [created.json()["id"]]
    assert wp.state("acme")["posts"][str(created.json()["id"])]["title"] == "From .com"
    url = sandbox.rewrite("wordpress", "https://public-api.wordpress.com/wp/v2/sites/acme.wordpress.com/posts",
                          "http://testserver")
    assert url == f"http://testserver{WPCOM}/posts"


def test_fault_switches_look_like_wordpress(client):
    faults.arm(faults.Fault("wordpress", "acme", "rate_limit", retry_after=9))
    limited = client.post(f"{WP}/posts", json={"title": "x"}, headers=ACME)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "9"
    assert limited.json()["data"]["status"] == 429
    faults.arm(faults.Fault("wordpress", "acme", "expired_token"))
    assert_error(client.get(f"{WP}/posts", headers=ACME), 401, "incorrect_password")
    faults.arm(faults.Fault("wordpress", "acme", "server_error"))
    assert_error(client.get(f"{WP}/posts", headers=ACME), 500, "internal_server_error")
    faults.arm(faults.Fault("wordpress", "acme", "unavailable"))
    assert client.get(f"{WP}/posts", headers=ACME).status_code == 503
    faults.arm(faults.Fault("wordpress", "acme", "slow", delay_ms=150))
    started = time.monotonic()
    assert client.get(f"{WP}/posts", headers=ACME).status_code == 200
    assert time.monotonic() - started >= 0.15
    assert "124" not in wp.state("acme")["posts"]


def test_reads_and_failures_leave_the_site_unchanged(client):
    before = wp.state("acme")
    client.get(f"{WP}/posts?per_page=100&status=any", headers=ACME)
    client.get(f"{WP}/posts/123", headers=ACME)
    client.post(f"{WP}/posts", json={"status": "draft"}, headers=ACME)
    client.post(f"{WP}/posts/123", json={"status": "bogus"}, headers=ACME)
    client.post(f"{WP}/comments", json={"post": 999, "content": "x"}, headers=ACME)
    assert wp.state("acme") == before
    client.get(f"{WP}/posts", headers=BETA)
    assert wp.state("acme") == before
