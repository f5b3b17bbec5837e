"""``next=``: only local paths survive, on the login page and through the login itself."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from hub.auth.redirects import safe_next
from hub.extensions import db
from tests import factories
from tests.forms import submit

HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\\/evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/%0a/evil.example".replace("%0a", "\n"),
    "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/account/password", "/admin/tenant/?page=2", "/a/b?next=//x"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", HOSTILE[:6])
def test_login_never_redirects_off_site(app, client: FlaskClient, target: str) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    url = "/login?" + urlencode({"next": target})
    response = submit(client, url, {"email": user.email, "password": factories.DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_returns_to_a_local_next(app, client: FlaskClient) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub())
    db.session.commit()
    first = client.get("/account/password")
    assert first.headers["Location"] == "/login?next=/account/password"
    response = submit(client, "/login?next=/account/password",
                      {"email": user.email, "password": factories.DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/account/password"
