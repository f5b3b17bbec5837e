"""Deny by default: walk every URL rule as an anonymous visitor; only the allowlist answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from hub.auth.guards import PUBLIC_ENDPOINTS
from tests.hub.auth.support import build_url

ALLOWLIST = {"auth.login", "auth.login_totp", "static", "web.healthz"}
REFUSED = {401, 403, 404, 405}

def _calls(app: Flask) -> Iterator[tuple[str, str, str]]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, build_url(app, rule)


@pytest.fixture
def open_app(make_app) -> Flask:
    # CSRF off: the check under test is the login gate, not the token (tests/hub/test_csrf.py does that)
    return make_app(WTF_CSRF_ENABLED=False)


def test_the_allowlist_is_short_and_known() -> None:
    assert PUBLIC_ENDPOINTS == ALLOWLIST


def test_anonymous_is_refused_everywhere_but_the_allowlist(open_app: Flask) -> None:
    client = open_app.test_client()
    answered = set()
    for endpoint, method, url in _calls(open_app):
        response = client.open(url, method=method)
        response.close()
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            assert response.headers["Location"].startswith("/login"), (endpoint, method, url)
        elif status not in REFUSED:
            answered.add(endpoint)
    assert answered <= ALLOWLIST, answered - ALLOWLIST
    assert {"auth.login", "web.healthz"} <= answered


def test_api_clients_get_401_not_a_redirect(open_app: Flask) -> None:
    client = open_app.test_client()
    for path in ("/", "/account/password", "/admin/"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 401, path
        assert response.get_json() == {"error": "authentication required"}


def test_a_forgotten_route_is_still_protected(make_app) -> None:
    app = make_app()

    @app.route("/forgot-to-protect")
    def forgotten() -> str:
        return "client data"

    response = app.test_client().get("/forgot-to-protect")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_walk_covers_the_hub_pages(open_app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _calls(open_app)}
    assert {"web.home", "auth.logout", "auth.change_password", "auth.totp_enrol"} <= endpoints
