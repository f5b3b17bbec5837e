"""roles_required and current_hub: the role checks views build on."""

from __future__ import annotations

from flask import Flask

from hub.accounts.models import Role
from hub.auth.current import current_hub
from hub.auth.decorators import roles_required
from hub.extensions import db
from tests import factories
from tests.forms import login


def _app_with_guarded_route(make_app) -> Flask:
    app = make_app()

    @app.route("/only-admins")
    @roles_required(Role.HUB_ADMIN, "support")
    def only_admins() -> str:
        hub = current_hub()
        return f"hub={hub.slug if hub else '-'}"

    return app


def test_anonymous_goes_to_login(make_app, app: Flask) -> None:
    guarded = _app_with_guarded_route(make_app)
    response = guarded.test_client().get("/only-admins")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_wrong_role_gets_403_and_right_roles_get_in(make_app, app: Flask) -> None:
    guarded = _app_with_guarded_route(make_app)
    hub = factories.make_hub(slug="acme")
    users = {role: factories.make_user(role=role, hub=None if role == "support" else hub)
             for role in ("agent", "tenant_admin", "hub_admin", "support")}
    db.session.commit()
    expected = {"agent": 403, "tenant_admin": 403, "hub_admin": 200, "support": 200}
    bodies = {}
    for role, user in users.items():
        browser = guarded.test_client()
        login(browser, user.email, factories.DEFAULT_PASSWORD)
        response = browser.get("/only-admins")
        assert response.status_code == expected[role], role
        bodies[role] = response.get_data(as_text=True)
    assert bodies["hub_admin"] == "hub=acme" and bodies["support"] == "hub=-"


def test_current_hub_is_none_outside_a_login(app: Flask) -> None:
    with app.test_request_context("/"):
        assert current_hub() is None
