"""Every form and query parameter of the hub, fuzzed with malformed and hostile values, as every role.

The endpoints come from ``app.url_map`` (nothing is listed by hand, so a new route is fuzzed too).
For each example, every GET endpoint the role may reach gets fuzzed query parameters (and fuzzed
string path parts), and every POST endpoint gets its form's own fields (read from the page that
shows the form, or from the page's CSRF alone when it has none) filled with hostile values and a
valid CSRF token.  The promise (security battery item 15): a 4xx or a normal page, never a 5xx and
never a traceback.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from tests.forms import csrf_token_from
from tests.reliability.conftest import FuzzWorld

HOSTILE = [
    "", " ", "\x00", "a\x00b", "\t\r\n", "<script>window.__xss=1</script>", '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --", "1; DROP TABLE users; --", "%00", "%s%s%n", "{{7*7}}", "${7*7}", "../../etc/passwd",
    "-1", "0", "-99999999999999999999", "99999999999999999999999", "1e309", "NaN", "-inf", "1.5", "0x10",
    "2024-02-30", "0000-00-00", "9999-12-31", "2026-13-01", "1900-01-01", "true", "null", "[]", "{}",
    "\u202e\u200b", "😀" * 50, "ǅ" * 300, "x" * 5000, "\r\nSet-Cookie: a=b", "javascript:alert(1)", "//evil.test",
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(-(2**70), 2**70).map(str),
    st.dates().map(str),
    st.just("y" * 100_000),
)
QUERY_NAMES = ["q", "health", "page", "per_page", "cursor", "tenant", "staff", "user", "action", "entity_type",
               "entity_id", "from", "to", "sort", "desc", "search", "page_size", "id", "url", "next", "flt0_0",
               "flt1_1", "flt2_6", "level", "client_id", "tenant_id", "role", "hub_id", "export", "format"]
#: endpoints that end the session under test (they are covered by their own tests)
SKIP = {"auth.logout", "workspace.leave", "static", "admin.static"}
#: mass-assignment extras posted with every form
EXTRAS = {"hub_id": "999999", "tenant_id": "999999", "role": "support"}
_FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"', re.I)
_EDIT_ID = re.compile(r'/edit/\?id=([^&"]+)')

EXAMPLES = 3
#: fewer pages than this answered 200 means the walk did not really reach the role's screens (a tenant
#: admin has only the start page, the review and the account pages; a hub admin has every admin screen)
PAGES_REACHED = {"support": 20, "hub_admin": 60, "tenant_admin": 10}


def rules(app: Flask, prefix: tuple[str, ...]) -> list[Rule]:
    """The app's rules whose endpoint starts with one of ``prefix`` (every rule for ``("",)``)."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIP and r.endpoint.startswith(prefix)),
                  key=lambda r: r.rule)


#: status codes seen, by method (printed with ``-s``; the tests assert the walks reached real pages)
SEEN: Counter[tuple[str, int]] = Counter()


def check(response: Any, what: str) -> None:
    """4xx or a page, never a 5xx or a traceback."""
    SEEN[(what.split(" ", 1)[0], response.status_code)] += 1
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{response.status_code} for {what}"
    assert "Traceback" not in body and "werkzeug.debug" not in body, f"traceback for {what}"


def path_for(rule: Rule, ids: dict[str, Any], draw: Callable[[Any], Any], *, fuzz_strings: bool) -> str | None:
    """The rule's URL with its parts filled from ``ids`` (string parts fuzzed when asked)."""
    parts = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if fuzz_strings and converter in ("UnicodeConverter", "PathConverter") and name != "filename":
            value = draw(st.sampled_from(["<script>x</script>", "..", "x" * 300, "%00", "1 OR 1=1", "-1", "ǅ😀"]))
        elif name in ids:
            value = ids[name]
        else:
            return None
        parts[name] = value
    try:
        url = rule.rule
        for name, value in parts.items():
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value).replace("\\", "\\\\"), url)
        return url
    except re.error:
        return None


def fuzz_gets(client: FlaskClient, app: Flask, prefixes: tuple[str, ...], ids: dict[str, Any], draw: Any) -> int:
    """One fuzzed GET per GET endpoint (and one with fuzzed string path parts); the number sent."""
    sent = 0
    for rule in rules(app, prefixes):
        if "GET" not in rule.methods:
            continue
        for fuzz_strings in (False, True):
            path = path_for(rule, ids, draw, fuzz_strings=fuzz_strings)
            if path is None or (fuzz_strings and not any(
                    type(rule._converters[a]).__name__ == "UnicodeConverter" for a in rule.arguments)):
                continue
            params = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), VALUES, max_size=5))
            if "edit_view" in rule.endpoint or "details_view" in rule.endpoint:
                params.setdefault("id", ids.get(rule.endpoint.split(".")[0], "1"))
            url = f"{path}?{urlencode(params)}" if params else path
            check(client.get(url), f"GET {url[:300]}")
            sent += 1
    return sent


def form_fields(client: FlaskClient, url: str) -> tuple[str | None, list[str]]:
    """The CSRF token and field names of the form on ``url`` (None and [] when there is none)."""
    page = client.get(url)
    if page.status_code != 200:
        return None, []
    html = page.get_data(as_text=True)
    try:
        token = csrf_token_from(html)
    except AssertionError:
        return None, []
    return token, sorted(set(_FIELD.findall(html)) - {"csrf_token"})


def fuzz_posts(client: FlaskClient, app: Flask, prefixes: tuple[str, ...], ids: dict[str, Any], draw: Any,
               token_page: str) -> int:
    """One fuzzed POST per POST endpoint, with a valid CSRF token; the number sent."""
    sent = 0
    for rule in rules(app, prefixes):
        if "POST" not in rule.methods:
            continue
        path = path_for(rule, ids, draw, fuzz_strings=False)
        if path is None:
            continue
        query = ""
        if "edit_view" in rule.endpoint:
            query = f"?id={ids.get(rule.endpoint.split('.')[0], '1')}"
        token, names = form_fields(client, path + query) if "GET" in rule.methods else (None, [])
        if token is None:
            token, _ = form_fields(client, token_page)
        if not names:  # a button-only endpoint (enter, sync now, delete, actions...): fuzz the usual names
            names = ["id", "rowid", "action", "tenant_id", "list_form_pk", "url", "note", "value", "name"]
        data: dict[str, Any] = {name: draw(st.one_of(VALUES, st.lists(VALUES, min_size=2, max_size=3)))
                                for name in names if draw(st.booleans()) or name.startswith(("name", "email"))}
        if rule.endpoint.endswith((".delete_view", ".action_view")):
            # never the world's own small ids: fuzzing must not delete the accounts it logs in with
            data["id"] = draw(st.sampled_from(["abc", "-5", "99999999", "1 OR 1=1", "", "\x00"]))
            data["rowid"] = data["id"]
        data.update(EXTRAS)
        data["csrf_token"] = token or ""
        check(client.post(path + query, data=data), f"POST {path}{query} {sorted(data)}")
        sent += 1
    return sent


def admin_ids(client: FlaskClient, app: Flask, avoid: set[str]) -> dict[str, str]:
    """For every Flask-Admin model view, an id its list shows (not one of ``avoid``)."""
    found = {}
    for rule in rules(app, ("",)):
        if rule.endpoint.endswith(".index_view") and rule.rule.startswith("/admin/"):
            html = client.get(rule.rule).get_data(as_text=True)
            ids = [i for i in _EDIT_ID.findall(html) if i not in avoid]
            if ids:
                found[rule.endpoint.split(".")[0]] = ids[-1]
    return found


# no shrinking: an example is a whole walk of the app, and the failing request is named in the message
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@pytest.mark.slow
@pytest.mark.parametrize("role", ["support", "hub_admin", "tenant_admin"])
def test_staff_roles_fuzz_every_endpoint(fuzz_world: FuzzWorld, role: str) -> None:
    client = fuzz_world.client(role)
    ids = {**fuzz_world.ids, **admin_ids(client, fuzz_world.app, {str(fuzz_world.users[role].id)})}
    counts = {"get": 0, "post": 0}

    @SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        counts["get"] += fuzz_gets(client, fuzz_world.app, ("",), ids, data.draw)
        counts["post"] += fuzz_posts(client, fuzz_world.app, ("",), ids, data.draw, "/")
        # still logged in as the same account (fuzzing must not have ended the session)
        assert client.get("/").status_code == 200

    SEEN.clear()
    run()
    print(role, counts, dict(sorted(SEEN.items())))
    assert counts["get"] > 40 and counts["post"] > 10, counts
    assert SEEN[("GET", 200)] > PAGES_REACHED[role] and SEEN[("POST", 200)] + SEEN[("POST", 302)] > 0, SEEN


@pytest.mark.slow
def test_agent_in_a_tenant_session_fuzzes_every_endpoint(fuzz_world: FuzzWorld) -> None:
    client = fuzz_world.client("agent")
    fuzz_world.enter_tenant(client)
    counts = {"get": 0, "post": 0}

    @SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        counts["get"] += fuzz_gets(client, fuzz_world.app, ("",), fuzz_world.ids, data.draw)
        counts["post"] += fuzz_posts(client, fuzz_world.app, ("",), fuzz_world.ids, data.draw, "/tenants")
        clients = client.get(f"/tenants/{fuzz_world.tenant.id}/clients")
        if clients.status_code != 200:  # a fuzzed "enter" or "switch" may have restarted the login
            fuzz_world.enter_tenant(client)

    SEEN.clear()
    run()
    print("agent", counts, dict(sorted(SEEN.items())))
    assert counts["get"] > 20 and counts["post"] > 8, counts
    assert SEEN[("GET", 200)] > 20 and SEEN[("POST", 200)] + SEEN[("POST", 302)] > 0, SEEN


@pytest.mark.slow
def test_anonymous_login_forms_take_hostile_input(fuzz_world: FuzzWorld) -> None:
    client = fuzz_world.app.test_client()

    @settings(SETTINGS, max_examples=30)
    @given(email=VALUES, password=VALUES, code=VALUES, nxt=VALUES)
    def run(email: str, password: str, code: str, nxt: str) -> None:
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        check(client.post(f"/login?{urlencode({'next': nxt})}", data={"csrf_token": token, "email": email,
                                                                      "password": password}), "POST /login")
        check(client.post("/login/totp", data={"csrf_token": token, "code": code}), "POST /login/totp")

    run()
