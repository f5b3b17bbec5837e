"""hub.accounts.service: create, password change, disable / enable, unlock — each audited."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import clock
from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.accounts.passwords import verify_password
from hub.extensions import db
from tests import factories
from tests.forms import login
from tests.hub.auth.support import audit_actions

GOOD = "a-perfectly-fine-passphrase"


def test_create_user_hashes_the_password_and_audits(app: Flask) -> None:
    hub = factories.make_hub()
    admin = factories.make_user(role="hub_admin", hub=hub)
    user = accounts.create_user(email=" New.Agent@Example.TEST ", display_name="New Agent", role="agent",
                                password=GOOD, actor=admin, hub=hub, restricted_user_id="acme.new")
    db.session.commit()
    assert user.email == "new.agent@example.test" and user.role == Role.AGENT
    assert verify_password(user.password_hash, GOOD) and GOOD not in user.password_hash
    event = audit_actions("user.created")[-1]
    assert (event.actor_id, event.hub_id, event.target_id, event.detail) == (admin.id, hub.id, str(user.id),
                                                                             {"role": "agent"})


@pytest.mark.parametrize(
    ("fields", "problem_field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"display_name": "  "}, "display_name"),
        ({"role": "support"}, "hub"),  # support belongs to no hub
        ({"role": "tenant_admin"}, "tenant"),
    ],
)
def test_create_user_refusals(app: Flask, fields: dict, problem_field: str) -> None:
    hub = factories.make_hub()
    args = {"email": "x@example.test", "display_name": "X", "role": "agent", "password": GOOD, "hub": hub,
            **fields}
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(actor=None, **args)
    assert problem_field in refused.value.problems
    assert GOOD not in str(refused.value)
    assert audit_actions("user.created") == []


def test_duplicate_email_is_refused(app: Flask) -> None:
    existing = factories.make_user(role="agent", hub=factories.make_hub())
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(email=existing.email.upper(), display_name="Twin", role="agent", password=GOOD,
                             actor=None, hub=existing.hub)
    assert "email" in refused.value.problems


def test_change_password_applies_the_policy(app: Flask) -> None:
    user = factories.make_user(role="agent", hub=factories.make_hub())
    with pytest.raises(accounts.AccountError):
        accounts.change_password(user, "short", actor=user)
    accounts.change_password(user, GOOD, actor=user)
    assert verify_password(user.password_hash, GOOD)


def test_unlock_ends_a_lockout_now(app: Flask, client: FlaskClient) -> None:
    hub = factories.make_hub()
    user = factories.make_user(role="agent", hub=hub)
    admin = factories.make_user(role="hub_admin", hub=hub)
    db.session.commit()
    for _ in range(9):
        login(client, user.email, "wrong-wrong-wrong")
    assert login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 200
    db.session.refresh(user)
    accounts.unlock_user(user, actor=admin)
    db.session.commit()
    assert login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 302
    assert audit_actions("user.unlocked")[-1].actor_id == admin.id


def test_disable_then_enable(app: Flask, client: FlaskClient) -> None:
    hub = factories.make_hub()
    user = factories.make_user(role="agent", hub=hub)
    admin = factories.make_user(role="hub_admin", hub=hub)
    db.session.commit()
    accounts.disable_user(user, actor=admin)
    db.session.commit()
    assert login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 200
    accounts.enable_user(user, actor=admin)
    db.session.commit()
    clock.advance(1)
    assert login(client, user.email, factories.DEFAULT_PASSWORD).status_code == 302
    assert [e.action for e in audit_actions() if e.action.startswith("user.")] == ["user.disabled", "user.updated"]
