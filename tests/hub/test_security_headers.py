"""Security headers on every kind of response, and error pages without stack traces."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.extensions import db
from hub.security import content_security_policy, csp_nonce, source_hash
from tests import factories
from tests.forms import login

STRONG_SECRET = "s" * 48
OWN_KEYS = "prod1:cHJvZHVjdGlvbi1rZXktMzItYnl0ZXMtbG9uZy0xMjM="


def _assert_hardened(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "object-src 'none'", "base-uri 'none'", "form-action 'self'", "img-src 'self' data:"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_pages_redirects_and_errors_carry_the_headers(client: FlaskClient, login_as) -> None:
    _assert_hardened(client.get("/login"))
    _assert_hardened(client.get("/"))  # a redirect
    login_as("agent")
    for path in ("/", "/account/password", "/does-not-exist"):
        response = client.get(path)
        _assert_hardened(response)
        assert response.headers["Cache-Control"] == "no-store", path


def test_no_hsts_outside_production(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_in_production(make_app) -> None:
    app = make_app(ENV="production", SECRET_KEY=STRONG_SECRET, VAULT_KEYS=OWN_KEYS)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    _assert_hardened(response)


def test_stylesheet_is_served_locally_and_may_be_cached(client: FlaskClient) -> None:
    response = client.get("/static/hub.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_hub_pages_have_no_inline_script_or_style(client: FlaskClient, login_as) -> None:
    pages = [client.get("/login").get_data(as_text=True)]
    login_as("hub_admin")
    pages += [client.get(p).get_data(as_text=True) for p in ("/", "/account/password", "/account/totp")]
    for page in pages:
        assert "<script" not in page and "<style" not in page and " style=" not in page
        assert " on" + "click=" not in page


def test_a_nonce_joins_the_policy_only_when_used(app: Flask) -> None:
    with app.test_request_context("/"):
        assert "nonce-" not in content_security_policy()
    with app.test_request_context("/admin/tenant/"):
        nonce = csp_nonce()
        assert csp_nonce() == nonce
        policy = content_security_policy()
        script_src = policy.split("script-src", 1)[1].split(";", 1)[0]
        assert f"'nonce-{nonce}'" in script_src and "unsafe-inline" not in script_src
    with app.test_request_context("/"):
        assert "style-src 'self';" in content_security_policy()


@pytest.mark.parametrize(("path", "method", "status"), [("/nowhere", "get", 404), ("/login", "put", 405)])
def test_error_pages_as_html_and_json(client: FlaskClient, path: str, method: str, status: int) -> None:
    page = getattr(client, method)(path)
    assert page.status_code == status and "text/html" in page.content_type
    assert "Traceback" not in page.get_data(as_text=True)
    api = getattr(client, method)(path, headers={"Accept": "application/json"})
    assert api.status_code == status and api.is_json and api.get_json()["error"]


def test_oversized_request_gets_413(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "x" * (6 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_server_error_page_has_no_stack_trace(make_app) -> None:
    app = make_app(TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("internal detail that must stay inside: 4f1c0ffee")

    client = app.test_client()
    with app.app_context():
        user = factories.make_user(role="agent", hub=factories.make_hub())
        db.session.commit()
        email = user.email
    login(client, email, factories.DEFAULT_PASSWORD)
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "4f1c0ffee" not in body and "Traceback" not in body and "RuntimeError" not in body
    _assert_hardened(response)
    assert client.get("/boom", headers={"Accept": "application/json"}).get_json()["error"]


_HANDLER = re.compile(r'\son[a-z]+="([^"]*)"')
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>")


def _admin_pages_obey_their_policy(app: Flask, client: FlaskClient) -> int:
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.endswith(".index_view") and rule.endpoint != "admin.index":
            continue
        response = client.get(rule.rule)
        if response.status_code != 200:
            continue
        csp = response.headers["Content-Security-Policy"]
        page = response.get_data(as_text=True)
        for handler in _HANDLER.findall(page):
            assert source_hash(html.unescape(handler)) in csp, (rule.rule, handler)
        for attributes in _INLINE_SCRIPT.findall(page):
            nonce = re.search(r'nonce="([^"]+)"', attributes)
            assert nonce and f"'nonce-{nonce.group(1)}'" in csp, (rule.rule, attributes)
        checked += 1
    return checked


@pytest.mark.parametrize("role", ["hub_admin", "support"])
def test_admin_pages_need_no_relaxation_beyond_their_hashes_and_nonce(
    app: Flask, client: FlaskClient, login_as, role: str
) -> None:
    hub = factories.make_hub()
    factories.make_tenant(hub)  # a row, so row actions (delete buttons) are rendered
    login_as(role, hub=hub if role != "support" else None)
    assert _admin_pages_obey_their_policy(app, client) >= 1


def test_admin_relaxations_stay_under_admin(app: Flask, client: FlaskClient, login_as) -> None:
    login_as("hub_admin")
    hub_page = client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-hashes" not in hub_page and "unsafe-inline" not in hub_page
    admin_page = client.get("/admin/").headers["Content-Security-Policy"]
    assert "'unsafe-hashes'" in admin_page and "unsafe-inline" not in admin_page.split("style-src")[0]
