"""Deny by default: every admin screen x every role (anonymous → login, wrong role → 403)."""

from __future__ import annotations

import pytest

from tests.admin_views.conftest import body

#: screen url -> the roles that may open it
SCREENS = {
    "/admin/": {"support", "hub_admin"},
    "/admin/hubs/": {"support"},
    "/admin/hub_admins/": {"support"},
    "/admin/staff/": {"hub_admin"},
    "/admin/agent_groups/": {"hub_admin"},
    "/admin/tenants/": {"hub_admin"},
    "/admin/permission_levels/": {"hub_admin"},
    "/admin/credentials/": {"hub_admin"},
    "/admin/access_levels/": {"hub_admin"},
    "/admin/audit_log/": {"hub_admin", "support"},
}
#: every sub-page of a model screen that must be guarded as well
SUB_PAGES = ("new/", "details/?id=1", "edit/?id=1", "export/csv/", "ajax/lookup/?name=x&query=a")
ROLES = ("support", "hub_admin", "agent", "tenant_admin")


def _login_role(client_for, two_hubs, role):
    ours = two_hubs[0]
    extra = {"tenant": ours.tenant} if role == "tenant_admin" else {}
    return client_for(role, None if role == "support" else ours.hub, **extra)[0]


def test_anonymous_is_sent_to_login_everywhere(client, two_hubs) -> None:
    for url in SCREENS:
        pages = [url] + ([url + sub for sub in SUB_PAGES] if url != "/admin/" else [])
        for page in pages:
            response = client.get(page)
            assert response.status_code in (302, 303), page
            assert "/login" in response.headers["Location"], page
    for url in ("/admin/tenants/delete/", "/admin/tenants/action/", "/admin/tenants/ajax/update/"):
        assert client.post(url, data={"id": "1"}).status_code in (302, 303, 400, 401)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_its_screens(client_for, two_hubs, role) -> None:
    browser = _login_role(client_for, two_hubs, role)
    for url, allowed in SCREENS.items():
        response = browser.get(url)
        body(response)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)
        if url != "/admin/" and role not in allowed:
            for sub in SUB_PAGES:
                sub_response = browser.get(url + sub)
                body(sub_response)
                assert sub_response.status_code == 403, (role, url + sub)


def test_disabled_account_cannot_open_admin(app, client_for, two_hubs) -> None:
    from hub.extensions import db

    browser, user = client_for("hub_admin", two_hubs[0].hub)
    assert browser.get("/admin/tenants/").status_code == 200
    user.active = False
    db.session.commit()
    response = browser.get("/admin/tenants/")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_menu_lists_only_reachable_screens(client_for, two_hubs) -> None:
    support, _ = client_for("support")
    page = body(support.get("/admin/"))
    assert "/admin/hubs/" in page
    assert "/admin/credentials/" not in page and "/admin/tenants/" not in page
    admin, _ = client_for("hub_admin", two_hubs[0].hub)
    page = body(admin.get("/admin/"))
    assert "/admin/credentials/" in page and "/admin/hubs/" not in page


def test_admin_pages_carry_the_csp_nonce_of_their_inline_scripts(client_for, two_hubs) -> None:
    browser, _ = client_for("hub_admin", two_hubs[0].hub)
    response = browser.get("/admin/tenants/")
    page = body(response)
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["Cache-Control"] == "no-store"
