"""Canary secrets: seeded credential secrets and a TOTP secret appear in no admin response, log or audit row."""

from __future__ import annotations

import json
import logging
import uuid

import pyotp
from sqlalchemy import select

from hub.accounts.models import User
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.models import BillingCredential
from tests import factories
from tests.admin_views.conftest import body, populate

SCREENS = ("hubs", "hub_admins", "staff", "agent_groups", "tenants", "permission_levels", "credentials",
           "access_levels", "audit_log")


def _urls(ids: dict[str, int]) -> list[str]:
    urls = ["/admin/", "/admin/audit_log/verify/"]
    for screen in SCREENS:
        some_id = ids.get(screen, 1)
        urls += [f"/admin/{screen}/", f"/admin/{screen}/new/", f"/admin/{screen}/details/?id={some_id}",
                 f"/admin/{screen}/edit/?id={some_id}", f"/admin/{screen}/export/csv/",
                 f"/admin/{screen}/details/?id=987654", f"/admin/{screen}/?search=a",
                 f"/admin/{screen}/edit/?id=987654"]
    return urls


def test_canaries_appear_nowhere(app, client_for, caplog) -> None:
    canaries = [f"canary-{uuid.uuid4().hex}" for _ in range(3)]
    totp_canary = pyotp.random_base32()
    hub = factories.make_hub()
    data = populate(hub, secret=canaries[0])
    factories.make_credential(data.tenant, "Read only", secret=canaries[1])
    other = populate(factories.make_hub(), secret=canaries[2])
    totp_user = factories.make_user(role="agent", hub=hub, totp_secret=totp_canary)
    hub_admin = factories.make_user(role="hub_admin", hub=hub, totp_secret=totp_canary)
    db.session.commit()
    sealed = [c.secret_sealed for c in db.session.scalars(select(BillingCredential))]
    sealed += [u.totp_secret_sealed for u in db.session.scalars(select(User)) if u.totp_secret_sealed]
    hashes = [u.password_hash for u in db.session.scalars(select(User))]
    forbidden = [*canaries, totp_canary, *sealed, *hashes]
    ids = {"staff": totp_user.id, "agent_groups": data.group.id, "tenants": data.tenant.id,
           "permission_levels": data.level.id, "credentials": data.credential.id,
           "access_levels": data.grant.id, "hubs": hub.id, "hub_admins": hub_admin.id,
           "audit_log": db.session.scalars(select(AuditEvent.id)).first()}
    db.session.rollback()

    caplog.set_level(logging.DEBUG)
    browsers = [
        client_for("support")[0],
        client_for("hub_admin", hub)[0],
        client_for("hub_admin", other.hub)[0],
        client_for("agent", hub)[0],
        client_for("tenant_admin", hub, tenant=data.tenant)[0],
    ]
    seen = 0
    for browser in browsers:
        for url in _urls(ids):
            response = browser.get(url)
            text = body(response)
            seen += response.status_code == 200
            for secret in forbidden:
                assert secret not in text, (url, response.status_code)
    assert seen > 40  # the walk really opened pages, not just error replies

    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    audit_rows = json.dumps([[e.action, e.detail, e.target_id, e.actor_label]
                             for e in db.session.scalars(select(AuditEvent))], default=str)
    for secret in forbidden:
        assert secret not in logged
        assert secret not in audit_rows
