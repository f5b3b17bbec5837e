"""The password change page: policy errors by the field, forced change after provisioning."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from hub.accounts.passwords import verify_password
from hub.extensions import db
from tests import factories
from tests.forms import submit

NEW = "another-long-passphrase-7"


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    return submit(client, "/account/password",
                  {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm})


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        (factories.DEFAULT_PASSWORD, "short", None, "new_password", "at least 8 characters"),
        (factories.DEFAULT_PASSWORD, "password123", None, "new_password", "too common"),
        (factories.DEFAULT_PASSWORD, "x" * 200, None, "new_password", "at most 128 characters"),
        (factories.DEFAULT_PASSWORD, factories.DEFAULT_PASSWORD, None, "new_password", "different from the current"),
        (factories.DEFAULT_PASSWORD, NEW, NEW + "!", "confirm", "The passwords differ."),
        ("wrong-current-password", NEW, None, "current_password", "The current password is incorrect."),
    ],
)
def test_refusals_are_shown_next_to_the_field(client: FlaskClient, login_as, current, new, confirm, field,
                                              message) -> None:
    user = login_as("agent")
    response = _change(client, current, new, confirm)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    block = body.split(f'name="{field}"', 1)[1].split("</div>", 1)[0]
    assert message in block
    db.session.refresh(user)
    assert verify_password(user.password_hash, factories.DEFAULT_PASSWORD)
    assert new not in body and current not in body  # passwords are never echoed back


def test_success_changes_the_hash(client: FlaskClient, login_as) -> None:
    user = login_as("agent")
    response = _change(client, factories.DEFAULT_PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW) and user.password_changed_at is not None


def test_must_change_password_reaches_only_the_change_page(client: FlaskClient, login_as) -> None:
    user = login_as("hub_admin", must_change_password=True)
    assert client.get("/").headers["Location"] == "/account/password"
    assert client.get("/admin/").headers["Location"] == "/account/password"
    assert client.get("/account/totp").headers["Location"] == "/account/password"
    assert client.get("/account/password").status_code == 200
    _change(client, factories.DEFAULT_PASSWORD, NEW)
    db.session.refresh(user)
    assert not user.must_change_password
    assert client.get("/").status_code == 200


def test_login_sends_a_forced_change_to_the_page(client: FlaskClient) -> None:
    from tests.forms import login

    user = factories.make_user(role="hub_admin", hub=factories.make_hub(), must_change_password=True)
    db.session.commit()
    assert login(client, user.email, factories.DEFAULT_PASSWORD).headers["Location"] == "/account/password"
