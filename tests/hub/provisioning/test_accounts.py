"""``create_hub_user``: the one provisioning step behind the CLI and support's Hub admins screen."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from hub.accounts.models import Role
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.provisioning import ProvisioningError, create_hub_user
from tests import factories


def _events(user_id: int) -> dict[str, AuditEvent]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "user",
                                                       AuditEvent.target_id == str(user_id)))
    return {event.action: event for event in rows}


def test_a_signed_in_actor_is_named_in_the_audit_rows(app: Flask) -> None:
    hub = factories.make_hub()
    support = factories.make_user(role="support")
    admin, password = create_hub_user(hub=hub, role=Role.HUB_ADMIN, email="A@X.test", name="A", actor=support)
    events = _events(admin.id)
    assert set(events) == {"user.created", "provision.user_created"}
    assert all((e.actor_id, e.actor_label, e.hub_id) == (support.id, support.email, hub.id) for e in events.values())
    assert admin.must_change_password and password not in repr([e.detail for e in events.values()])


def test_the_command_line_is_named_cli(app: Flask) -> None:
    admin, _ = create_hub_user(hub=factories.make_hub(), role=Role.HUB_ADMIN, email="b@x.test", name="B")
    event = _events(admin.id)["provision.user_created"]
    assert (event.actor_id, event.actor_label) == (None, "cli")


def test_field_problems_are_kept_for_the_screens(app: Flask) -> None:
    hub = factories.make_hub()
    factories.make_user(role="agent", hub=hub, email="taken@x.test")
    with pytest.raises(ProvisioningError) as refused:
        create_hub_user(hub=hub, role=Role.HUB_ADMIN, email="taken@x.test", name="  ")
    assert refused.value.problems == {"email": ["An account with this email already exists."],
                                      "display_name": ["Enter a name."]}
    assert "email: An account with this email already exists." in str(refused.value)
