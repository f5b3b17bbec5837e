"""Drive the hub's HTML forms like a browser: fetch the page, keep its CSRF token, post."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pyotp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = _TOKEN.search(html)
    if match is None:
        raise AssertionError("page has no csrf_token field")
    return match.group(1) or match.group(2)


def submit(
    client: FlaskClient,
    url: str,
    data: Mapping[str, Any],
    *,
    form_url: str | None = None,
    follow_redirects: bool = False,
) -> TestResponse:
    """GET ``form_url`` (default ``url``), then POST ``data`` with the page's CSRF token."""
    page = client.get(form_url or url)
    assert page.status_code == 200, f"GET {form_url or url} gave {page.status_code}"
    payload = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=payload, follow_redirects=follow_redirects)


def login(client: FlaskClient, email: str, password: str, *, totp_secret: object = None) -> TestResponse:
    """Log in through ``/login`` (and ``/login/totp`` when the account has two-factor)."""
    response = submit(client, "/login", {"email": email, "password": password})
    if totp_secret and response.status_code in (302, 303) and "/login/totp" in response.headers["Location"]:
        response = submit(client, "/login/totp", {"code": pyotp.TOTP(str(totp_secret)).now()})
    return response
