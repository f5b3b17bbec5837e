"""The ``flask hub`` commands, driven through Flask's CLI runner."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import sqlalchemy as sa
from flask import Flask

from hub.accounts.models import Hub, Role, User
from hub.accounts.passwords import verify_password
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.tenants.models import Tenant
from tests import factories
from tests.hub.conftest import TEST_VAULT_KEYS

PASSWORD_LINE = re.compile(r"^  (\S+)$", re.MULTILINE)


def _run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["hub", *args])


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_create_hub_prints_a_one_time_password_that_logs_in(app: Flask) -> None:
    result = _run(
        app, "create-hub", "--slug", "acme", "--name", "ACME Billing", "--billing-company-ref", "BC-17",
        "--admin-email", "Boss@ACME.test", "--admin-name", "Boss",
    )
    assert result.exit_code == 0, result.output
    (password,) = PASSWORD_LINE.findall(result.output)
    hub = db.session.scalars(sa.select(Hub).where(Hub.slug == "acme")).one()
    admin = db.session.scalars(sa.select(User).where(User.email == "boss@acme.test")).one()
    assert (hub.name, hub.billing_company_ref) == ("ACME Billing", "BC-17")
    assert (admin.hub_id, admin.role, admin.must_change_password) == (hub.id, Role.HUB_ADMIN, True)
    assert verify_password(admin.password_hash, password)
    assert len(password) >= 16 and password not in admin.password_hash
    assert {"provision.hub_created", "provision.user_created"} <= set(_actions())
    audit_text = repr([(e.detail, e.target_id) for e in db.session.scalars(sa.select(AuditEvent))])
    assert password not in audit_text


def test_create_hub_refuses_duplicates_and_leaves_nothing_behind(app: Flask) -> None:
    factories.make_hub(slug="taken")
    factories.make_user(role="hub_admin", hub=factories.make_hub(), email="used@x.test")
    db.session.commit()
    result = _run(app, "create-hub", "--slug", "taken", "--name", "N", "--admin-email", "a@x.test",
                  "--admin-name", "A")
    assert result.exit_code == 1 and "already exists" in result.output
    result = _run(app, "create-hub", "--slug", "fresh", "--name", "N", "--admin-email", "used@x.test",
                  "--admin-name", "A")
    assert result.exit_code == 1 and "email" in result.output
    assert db.session.scalars(sa.select(Hub).where(Hub.slug == "fresh")).first() is None
    result = _run(app, "create-hub", "--slug", "Bad Slug!", "--name", "N", "--admin-email", "b@x.test",
                  "--admin-name", "A")
    assert result.exit_code == 1 and "slug" in result.output


def test_create_user_for_each_role(app: Flask) -> None:
    hub = factories.make_hub(slug="acme")
    factories.make_tenant(hub, name="Good Therapy")
    db.session.commit()
    result = _run(app, "create-user", "--hub", "acme", "--role", "agent", "--email", "a@acme.test", "--name", "A")
    assert result.exit_code == 1 and "restricted" in result.output.lower()
    result = _run(app, "create-user", "--hub", "acme", "--role", "agent", "--email", "a@acme.test", "--name", "A",
                  "--restricted-user-id", "acme.a")
    assert result.exit_code == 0, result.output
    (password,) = PASSWORD_LINE.findall(result.output)
    agent = db.session.scalars(sa.select(User).where(User.email == "a@acme.test")).one()
    assert agent.restricted_user_id == "acme.a" and agent.must_change_password
    assert verify_password(agent.password_hash, password)
    result = _run(app, "create-user", "--hub", "acme", "--role", "tenant_admin", "--email", "t@acme.test",
                  "--name", "T", "--tenant", "Good Therapy")
    assert result.exit_code == 0, result.output
    result = _run(app, "create-user", "--role", "support", "--email", "s@vendor.test", "--name", "S")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(sa.select(User).where(User.email == "s@vendor.test")).one().hub_id is None
    result = _run(app, "create-user", "--hub", "nope", "--role", "agent", "--email", "x@x.test", "--name", "X")
    assert result.exit_code == 1 and "no hub" in result.output
    assert _actions().count("provision.user_created") == 3


CSV_TEXT = """name,base_url,connector,permission_levels,notes
Good Therapy,https://good.example/api/v1,http,Full;Read only,first
Bad URL Clinic,ftp://bad.example,http,Full,
,https://nameless.example,http,Full,
Good Therapy,https://again.example,http,Full,dup
Unknown Connector Co,https://u.example,carrier-pigeon,Full,
Creds In Url,https://user:pw@c.example,http,Full,
Already Here,https://here.example,http,Full,
Second Good,https://second.example,,Payers,
"""


def _write_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tenants.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


def test_import_tenants_reports_added_skipped_rejected(app: Flask, tmp_path: Path) -> None:
    hub = factories.make_hub(slug="acme")
    factories.make_tenant(hub, name="Already Here")
    db.session.commit()
    result = _run(app, "import-tenants", "--hub", "acme", str(_write_csv(tmp_path)))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:-1]}
    assert "added" in lines["2"] and "added" in lines["9"]
    assert "rejected" in lines["3"] and "bad URL" in lines["3"]
    assert "rejected" in lines["4"] and "missing name" in lines["4"]
    assert "rejected" in lines["5"] and "duplicate in file (first on line 2)" in lines["5"]
    assert "rejected" in lines["6"] and "unknown connector 'carrier-pigeon'" in lines["6"]
    assert "rejected" in lines["7"] and "user name or password" in lines["7"]
    assert "skipped" in lines["8"] and "already exists" in lines["8"]
    assert result.output.splitlines()[-1] == "added: 2, skipped: 1, rejected: 5"
    names = set(db.session.scalars(sa.select(Tenant.name).where(Tenant.hub_id == hub.id)))
    assert names == {"Already Here", "Good Therapy", "Second Good"}
    good = db.session.scalars(sa.select(Tenant).where(Tenant.name == "Good Therapy")).one()
    assert [lv.name for lv in sorted(good.permission_levels, key=lambda lv: -lv.weight)] == ["Full", "Read only"]
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "provision.tenants_imported")).one()
    assert event.detail == {"added": 2, "skipped": 1, "rejected": 5}
    assert _actions().count("tenant.created") == 2


def test_import_tenants_dry_run_saves_nothing(app: Flask, tmp_path: Path) -> None:
    factories.make_hub(slug="acme")
    db.session.commit()
    result = _run(app, "import-tenants", "--hub", "acme", "--dry-run", str(_write_csv(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "added: 3, skipped: 0, rejected: 5 (dry run: nothing was saved)"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == 0
    assert "provision.tenants_imported" not in _actions()


def test_import_tenants_refuses_a_wrong_header(app: Flask, tmp_path: Path) -> None:
    factories.make_hub(slug="acme")
    db.session.commit()
    path = tmp_path / "bad.csv"
    path.write_text("title,url\nx,y\n", encoding="utf-8")
    result = _run(app, "import-tenants", "--hub", "acme", str(path))
    assert result.exit_code == 1 and "name, base_url" in result.output


def test_verify_audit_passes_then_names_a_tampered_row(app: Flask) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    factories.make_credential(tenant, "Full")
    factories.make_credential(tenant, "Read only")
    db.session.commit()
    result = _run(app, "verify-audit")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK: 1 chains, 2 events"
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == 1).values(detail={"credential_id": 999})
    )
    db.session.commit()
    result = _run(app, "verify-audit")
    assert result.exit_code == 1
    assert f"BROKEN chain hub:{hub.id}: at seq 1" in result.output and "altered" in result.output


def test_rotate_keys_command(app: Flask) -> None:
    app.config["VAULT_KEYS"] = TEST_VAULT_KEYS.split(",")[1]
    hub = factories.make_hub()
    factories.make_credential(factories.make_tenant(hub), secret="rotate-me-secret")
    factories.make_user(role="hub_admin", hub=hub, totp_secret=pyotp.random_base32())
    db.session.commit()
    app.config["VAULT_KEYS"] = TEST_VAULT_KEYS
    result = _run(app, "rotate-keys", "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert "Current key: k2; values to re-seal: 2" in result.output
    assert "Re-sealed 2 value(s); 0 could not be opened." in result.output
    assert "rotate-me-secret" not in result.output
    result = _run(app, "rotate-keys")
    assert "values to re-seal: 0" in result.output
    assert _actions().count("vault.rotated") == 2


def test_unlock_user(app: Flask) -> None:
    from hub import clock

    user = factories.make_user(role="agent", hub=factories.make_hub(), email="locked@x.test",
                               failed_logins=9, lockouts=1, locked_until=clock.now())
    db.session.commit()
    result = _run(app, "unlock-user", "LOCKED@x.test")
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)
    assert "provision.user_unlocked" in _actions()
    assert _run(app, "unlock-user", "nobody@x.test").exit_code == 1
