"""SQLite connections of the hub: WAL, a busy timeout and enforced foreign keys on every connection."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from hub import create_app
from hub.extensions import db
from hub.sync.accounts import set_sync_account
from hub.sync.models import SyncAccount
from hub.tenants.service import delete_tenant
from tests import factories
from tests.hub.conftest import TEST_CONFIG


def _pragmas(app: Flask) -> dict[str, object]:
    with app.app_context():
        with db.engine.connect() as conn:
            values = {name: conn.execute(text(f"PRAGMA {name}")).scalar()
                      for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")}
        db.engine.dispose()
    return values


def test_file_database_uses_wal_and_waits_for_the_writer(tmp_path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.sqlite3'}"})
    assert _pragmas(app) == {"journal_mode": "wal", "busy_timeout": 5000, "synchronous": 1, "foreign_keys": 1}


def test_busy_timeout_follows_the_configuration(tmp_path) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
                      "SQLITE_BUSY_TIMEOUT_MS": 30_000})
    assert _pragmas(app)["busy_timeout"] == 30_000


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_database_skips_wal_but_enforces_foreign_keys(url: str) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    assert _pragmas(app) == {"journal_mode": "memory", "busy_timeout": 5000, "synchronous": 2, "foreign_keys": 1}


def test_deleting_a_tenant_cascades_in_the_database(app: Flask) -> None:
    # sync_accounts -> tenants is ON DELETE CASCADE with no ORM cascade: on SQLite only an enforced
    # foreign key removes the row (it used to stay behind, pointing at a tenant id a new tenant may reuse)
    hub = factories.make_hub()
    admin = factories.make_user(role="hub_admin", hub=hub)
    tenant = factories.make_tenant(hub)
    credential = factories.make_credential(tenant)
    set_sync_account(tenant=tenant, credential=credential, restricted_user_id="acme.sync",
                     restricted_secret="sync-Passw0rd!", actor_label="test")
    db.session.commit()
    delete_tenant(tenant, actor=admin)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SyncAccount)) == 0
