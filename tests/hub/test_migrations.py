"""The Alembic migrations build exactly the models' schema on an empty database and take it down again.

Revisions that move data are checked on a database holding some: 0003 fills the dashboard's
filter choices from the events stored before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from hub import create_app
from hub.activity import service as activity
from hub.activity.filters import Scope
from hub.extensions import db
from tests.hub.activity.support import grouped_staff_choices, grouped_values
from tests.hub.conftest import TEST_CONFIG


@pytest.fixture
def empty_app(database_url: str) -> Iterator[Flask]:
    """An app on a database nobody created tables in (the ``app`` fixture would run create_all)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _schema_differences() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_from_empty_matches_the_models_and_downgrade_removes_everything(empty_app: Flask) -> None:
    assert _tables() == set()
    result = empty_app.test_cli_runner().invoke(args=["hub", "init-db"])
    assert result.exit_code == 0, result.output
    assert _tables() == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
    assert _schema_differences() == []

    flask_migrate.downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    # and up again: the downgrade left nothing behind that would get in the way
    flask_migrate.upgrade()
    assert _schema_differences() == []


def test_there_is_one_head(empty_app: Flask) -> None:
    from alembic.script import ScriptDirectory

    config = empty_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


HUBS = sa.table("hubs", sa.column("id", sa.Integer), sa.column("slug", sa.String), sa.column("name", sa.String),
                sa.column("active", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)))
TENANTS = sa.table(
    "tenants", sa.column("id", sa.Integer), sa.column("hub_id", sa.Integer), sa.column("name", sa.String),
    sa.column("connector", sa.String), sa.column("base_url", sa.String), sa.column("notes", sa.String),
    sa.column("active", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("health_status", sa.String), sa.column("consecutive_failures", sa.Integer),
)
EVENTS = sa.table("tenant_audit_events", *(sa.column(c) for c in (
    "hub_id", "tenant_id", "remote_event_id", "action", "entity_type", "on_behalf_of_user_id", "on_behalf_of_name",
    "billing_company_id", "proxy")), sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("pulled_at", sa.DateTime(timezone=True)))


def _index_sql(name: str) -> str:
    """The stored definition of an index (to see its WHERE), on either backend."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name AND schemaname = current_schema()"
    else:
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    with db.engine.connect() as conn:
        return conn.execute(sa.text(query), {"name": name}).scalar_one_or_none() or ""


def test_0003_fills_the_filter_choices_from_the_events_stored_before_it(empty_app: Flask) -> None:
    flask_migrate.upgrade(revision="0002_seat_checks")
    assert "activity_choices" not in _tables()
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        hub_id = conn.execute(sa.insert(HUBS).values(slug="acme", name="ACME", active=True, created_at=now)
                              .returning(HUBS.c.id)).scalar_one()
        tenant_ids = [conn.execute(sa.insert(TENANTS).values(
            hub_id=hub_id, name=name, connector="http", base_url="http://127.0.0.1:9", notes="", active=True,
            created_at=now, health_status="unknown", consecutive_failures=0).returning(TENANTS.c.id)).scalar_one()
            for name in ("A", "B")]
        acme = {"billing_company_id": "acme", "proxy": True}
        rows = [
            (0, "view", "client", "acme.bob", "bob baker", acme), (0, "update", None, "acme.bob", "Bob Baker", acme),
            (0, "view", "client", "acme.ann", None, acme), (0, "login", None, None, None, {"billing_company_id": None}),
            (0, "clinic_only", "note", None, None, {"billing_company_id": None}),
            (0, "zenith_only", "invoice", "zen.zoe", "Zoe", {"billing_company_id": "zenith"}),
            (1, "b_only", "client_payer", "acme.cy", "Cy", acme), (1, "view", "client", "acme.bob", "Bobby", acme),
        ]
        conn.execute(sa.insert(EVENTS), [{
            "hub_id": hub_id, "tenant_id": tenant_ids[t], "remote_event_id": str(n), "action": action,
            "entity_type": entity, "on_behalf_of_user_id": staff, "on_behalf_of_name": name, "proxy": False,
            "occurred_at": now, "pulled_at": now, **extra,
        } for n, (t, action, entity, staff, name, extra) in enumerate(rows)])

    flask_migrate.upgrade()

    assert _schema_differences() == []
    assert "WHERE" in _index_sql("ix_tae_hub_company_time").upper()
    assert "WHERE" in _index_sql("ix_tae_tenant_company_time").upper()
    scopes = [Scope(hub_id=hub_id), Scope(hub_id=hub_id, third_party_only=True, billing_company_ref="acme"),
              Scope(hub_id=hub_id, tenant_id=tenant_ids[0]), Scope(hub_id=hub_id, tenant_id=tenant_ids[1]),
              Scope(hub_id=hub_id, tenant_id=tenant_ids[0], third_party_only=True)]
    for scope in scopes:
        assert activity.staff_choices(scope) == grouped_staff_choices(scope), scope
        for name in ("action", "entity_type"):
            assert activity.distinct_values(scope, name) == grouped_values(scope, name), (scope, name)
    assert dict(activity.staff_choices(scopes[0]))["acme.ann"] == "acme.ann"  # no name: the id
    assert activity.distinct_values(scopes[3], "action") == ["b_only", "view"]
    assert "clinic_only" not in activity.distinct_values(scopes[1], "action")
    db.session.rollback()

    flask_migrate.downgrade(revision="0002_seat_checks")
    assert "activity_choices" not in _tables()
    assert _index_sql("ix_tae_hub_company_time") == ""
