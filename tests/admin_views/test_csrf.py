"""CSRF: every admin state change without a valid token is refused and changes nothing.

The admin forms carry Flask-WTF's token (see ``admin_views.forms.AdminForm``), so the global
``CSRFProtect`` and the form both check it; a token from another session or a forged one fails too.
"""

from __future__ import annotations

import re

import pytest

from admin_views.forms import AdminForm
from tests.admin_views.conftest import body
from tests.admin_views.test_isolation import _snapshot
from tests.forms import csrf_token_from


def _posts(ours):
    """(url, data) of each kind of admin state change, aimed at our own objects."""
    return [
        ("/admin/tenants/new/", {"name": "Forged", "connector": "http", "base_url": "https://f.test/api"}),
        (f"/admin/tenants/edit/?id={ours.tenant.id}", {"name": "Forged", "connector": "http",
                                                        "base_url": "https://f.test/api", "notes": "forged"}),
        ("/admin/tenants/ajax/update/", {"list_form_pk": ours.tenant.id, "notes": "forged"}),
        ("/admin/agent_groups/delete/", {"id": ours.group.id}),
        ("/admin/agent_groups/action/", {"action": "delete", "rowid": [ours.group.id]}),
        ("/admin/access_levels/delete/", {"id": ours.grant.id}),
        (f"/admin/credentials/edit/?id={ours.credential.id}", {"label": "x", "remote_user_id": "y",
                                                                "secret": "forged-secret"}),
        ("/admin/staff/action/", {"action": "unlock", "rowid": [ours.agent.id]}),
        (f"/admin/staff/edit/?id={ours.agent.id}", {"email": ours.agent.email, "display_name": "x",
                                                     "role": "agent", "restricted_user_id": "r"}),
    ]


@pytest.mark.parametrize("token_kind", ["missing", "forged", "other_session"])
def test_state_changes_without_a_valid_token_are_refused(client_for, two_hubs, token_kind) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    stranger, _ = client_for("hub_admin", ours.hub)
    foreign_token = csrf_token_from(body(stranger.get("/admin/tenants/")))
    before = _snapshot()
    for url, data in _posts(ours):
        payload = dict(data)
        if token_kind == "forged":
            payload["csrf_token"] = "IjEyMyI.forged.token"
        elif token_kind == "other_session":
            payload["csrf_token"] = foreign_token
        response = browser.post(url, data=payload)
        assert response.status_code == 400, (url, response.status_code)
        assert _snapshot() == before, url


def test_admin_form_checks_the_token_itself(app) -> None:
    """Even without the global check (e.g. an exempted blueprint), the admin form refuses a bad token."""
    with app.test_request_context("/admin/tenants/new/", method="POST", data={"csrf_token": "nope"}):
        from flask import request

        form = AdminForm(request.form)
        assert not form.validate()
        assert "csrf_token" in form.errors


def test_list_page_tokens_work_for_delete_action_and_inline_edit(client_for, two_hubs) -> None:
    ours, _ = two_hubs
    browser, _ = client_for("hub_admin", ours.hub)
    page = body(browser.get("/admin/tenants/"))
    inline_token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    assert browser.post("/admin/tenants/ajax/update/", data={
        "csrf_token": inline_token, "list_form_pk": ours.tenant.id, "notes": "ok"}).status_code == 200
    groups = body(browser.get("/admin/agent_groups/"))
    token = csrf_token_from(groups)
    assert 'name="csrf_token"' in groups
    response = browser.post("/admin/agent_groups/action/",
                            data={"csrf_token": token, "action": "delete", "rowid": [ours.group.id]})
    assert response.status_code == 302
    from hub.accounts.models import AgentGroup
    from hub.extensions import db

    assert db.session.get(AgentGroup, ours.group.id) is None
