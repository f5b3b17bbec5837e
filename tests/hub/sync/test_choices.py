"""The dashboard's filter choices kept by the sync equal what grouping every event gives, in every scope."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import create_engine, func, insert, select, update
from sqlalchemy.orm import Session

from hub.activity import service as activity
from hub.activity.filters import Scope
from hub.extensions import db
from hub.sync.choices import rebuild_choices
from hub.sync.events import insert_events
from hub.sync.models import ActivityChoice, SyncState
from hub.sync.models import TenantAuditEvent as Event
from hub.sync.worker import sync_pass
from tenant_connectors.base import AuditEvent, CompanyRef, UserType
from tenant_connectors.sandbox.models import AuditRow, Company
from tests.hub.activity.support import grouped_staff_choices, grouped_values
from tests.hub.sync.conftest import SyncWorld

WHEN = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def scopes(world: SyncWorld) -> list[Scope]:
    """Every kind of scope a page reads choices in: the hub, one tenant, and their third-party narrowings."""
    hub_id = world.tenants["tenant-001"].hub_id
    one = world.tenants["tenant-001"].id
    return [
        Scope(hub_id=hub_id), Scope(hub_id=hub_id, third_party_only=True),
        Scope(hub_id=hub_id, third_party_only=True, billing_company_ref="acme"),
        Scope(hub_id=hub_id, tenant_id=one), Scope(hub_id=hub_id, tenant_id=one, third_party_only=True),
        Scope(hub_id=hub_id, tenant_id=one, third_party_only=True, billing_company_ref="acme"),
        Scope(hub_id=hub_id, tenant_id=one, third_party_only=True, billing_company_ref="zenith"),
    ]


def assert_choices_match_the_events(world: SyncWorld) -> None:
    """Side table == GROUP BY over the events, for every scope and kind."""
    db.session.expire_all()
    for scope in scopes(world):
        assert activity.staff_choices(scope) == grouped_staff_choices(scope), scope
        for name in ("action", "entity_type"):
            assert activity.distinct_values(scope, name) == grouped_values(scope, name), (scope, name)


def _row(company_id: int, n: int, **fields: Any) -> dict[str, Any]:
    row = {"company_id": company_id, "occurred_at": WHEN + timedelta(seconds=n), "action": "view",
           "entity_type": "client", "entity_id": str(n), "user_id": "t001-acme-full", "user_name": "ACME Billing",
           "user_type": "billing", "on_behalf_of_user_id": "acme.alice", "on_behalf_of_name": "Alice Archer",
           "billing_company_id": "acme", "billing_company_name": "ACME Billing", "proxy": True}
    row.update(fields)
    return row


CLINIC = {"user_id": "t001-clinic1", "user_name": "Clara Clinic", "user_type": "standard", "proxy": False,
          "on_behalf_of_user_id": None, "on_behalf_of_name": None, "billing_company_id": None,
          "billing_company_name": None}
ZENITH = {"user_id": "t001-zenith", "user_name": "Zenith Billing", "billing_company_id": "zenith",
          "billing_company_name": "Zenith Billing", "on_behalf_of_user_id": "zen.zoe", "on_behalf_of_name": "Zoe"}


def varied_rows(company_id: int, start: int) -> list[dict[str, Any]]:
    """Audit rows of every kind of user: the clinic's, ours, another billing company's; names that change."""
    rows = [
        _row(company_id, 1, action="clinic_only", entity_type="note", **CLINIC),
        _row(company_id, 2, action="login", entity_type=None, **CLINIC),
        _row(company_id, 3, action="zenith_only", entity_type="invoice", **ZENITH),
        _row(company_id, 4, on_behalf_of_user_id="acme.bob", on_behalf_of_name="bob baker"),
        _row(company_id, 5, on_behalf_of_user_id="acme.bob", on_behalf_of_name="Bob Baker"),
        _row(company_id, 6, on_behalf_of_user_id="acme.bob", on_behalf_of_name=None, entity_type=None),
        _row(company_id, 7, on_behalf_of_user_id="acme.nameless", on_behalf_of_name=None, action="update"),
        _row(company_id, 8, on_behalf_of_user_id="shared.id", on_behalf_of_name="Acme Shared"),
        _row(company_id, 9, on_behalf_of_user_id="shared.id", on_behalf_of_name="Zenith Shared",
             **{k: v for k, v in ZENITH.items() if not k.startswith("on_behalf")}),
        _row(company_id, 10, on_behalf_of_user_id="acme.éva", on_behalf_of_name="Éva Élan", action="status_change"),
    ]
    return [{**r, "occurred_at": r["occurred_at"] + timedelta(minutes=start)} for r in rows]


def add_sandbox_rows(world: SyncWorld, slug: str, rows_for: Any) -> None:
    """Write audit rows into the sandbox tenant's report directly (as its users' calls would)."""
    engine = create_engine(world.server.database_url)
    try:
        with Session(engine) as s:
            company_id = s.scalar(select(Company.id).where(Company.slug == slug))
            s.execute(insert(AuditRow), rows_for(company_id))
            s.commit()
    finally:
        engine.dispose()


def test_choices_after_a_sync_equal_the_group_by_of_the_events(sync_world: SyncWorld) -> None:
    app = current_app._get_current_object()
    for slug, start in (("tenant-001", 0), ("tenant-002", 30)):
        add_sandbox_rows(sync_world, slug, lambda cid, s=start: varied_rows(cid, s))
    # small pages: a staff member's names arrive on different pages, in different transactions
    summary = sync_pass(app, page_size=7)
    assert {r.status for r in summary.results} == {"ok"}
    assert_choices_match_the_events(sync_world)
    hub_id = sync_world.tenants["tenant-001"].hub_id
    assert len(activity.staff_choices(Scope(hub_id=hub_id))) == 6  # alice, bob, nameless, shared, éva, zoe
    ours = Scope(hub_id=hub_id, third_party_only=True, billing_company_ref="acme")
    assert "clinic_only" not in activity.distinct_values(ours, "action")
    assert "zenith_only" not in activity.distinct_values(ours, "action")
    assert "clinic_only" in activity.distinct_values(Scope(hub_id=hub_id), "action")


def test_two_syncs_of_overlapping_pages_keep_the_choices_exact(sync_world: SyncWorld) -> None:
    app = current_app._get_current_object()
    tenant = sync_world.tenants["tenant-003"]
    add_sandbox_rows(sync_world, "tenant-003", lambda cid: varied_rows(cid, 0))
    assert {r.status for r in sync_pass(app, tenant_ids=[tenant.id], page_size=9).results} == {"ok"}
    before = db.session.scalar(select(func.count()).select_from(ActivityChoice))
    # the cursor goes back to the start (as after a crash, or a restored backup): every page again,
    # plus new rows, one of them a higher name of a staff member already known
    db.session.execute(update(SyncState).where(SyncState.tenant_id == tenant.id).values(cursor=None))
    db.session.commit()
    add_sandbox_rows(sync_world, "tenant-003", lambda cid: [
        _row(cid, 90, on_behalf_of_user_id="acme.bob", on_behalf_of_name="Robert Baker"),
        _row(cid, 91, on_behalf_of_user_id="acme.carol", on_behalf_of_name="Carol", action="create"),
    ])
    assert {r.status for r in sync_pass(app, tenant_ids=[tenant.id], page_size=11).results} == {"ok"}
    assert_choices_match_the_events(sync_world)
    after = db.session.scalar(select(func.count()).select_from(ActivityChoice))
    assert after == before + 2  # acme.carol and "create": nothing stored twice
    one = Scope(hub_id=tenant.hub_id, tenant_id=tenant.id)
    assert "acme.carol" in dict(activity.staff_choices(one))


def _contract(n: int, staff: str, name: str, action: str, *, round_: int = 0) -> AuditEvent:
    return AuditEvent(
        event_id=f"r{round_}c{n}", occurred_at=WHEN + timedelta(hours=1, seconds=n), action=action,
        entity_type="client",
        entity_id=str(n), user_id="t004-acme-full", user_name="ACME Billing", user_type=UserType.BILLING,
        on_behalf_of_user_id=staff, on_behalf_of_name=name, billing_company=CompanyRef("acme", "ACME Billing"),
        proxy=True, ip_address=None, source_port=None, platform=None, os=None, detail=None,
    )


def test_concurrent_writers_of_overlapping_pages_neither_fail_nor_lose_a_choice(sync_world: SyncWorld) -> None:
    app = current_app._get_current_object()
    tenant = sync_world.tenants["tenant-004"]
    hub_id, tenant_id = tenant.hub_id, tenant.id  # read here: the ORM object belongs to this thread's session
    errors: list[Exception] = []

    def worker(barrier: threading.Barrier, page: list[AuditEvent]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                insert_events(hub_id, tenant_id, page)
                db.session.commit()
            except Exception as exc:  # reported below; a thread cannot fail the test itself
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    # Two workers holding the same tenant (a lease taken over mid-page) store overlapping pages at once,
    # one in the tenant's order and one reversed. A single race met PostgreSQL's deadlock about one time
    # in eight before rows were inserted in key order, so the race is run eight times.
    rounds = 8
    for r in range(rounds):
        events = [_contract(n, f"acme.s{n % 7}", f"Staff {n % 7} v{n % 3}", f"act{n % 5}", round_=r)
                  for n in range(60)]
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(barrier, p)) for p in (events[:40], events[20:][::-1])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == [], f"round {r}"
    stored = select(func.count()).select_from(Event).where(Event.tenant_id == tenant.id)
    assert db.session.scalar(stored) == 60 * rounds
    assert_choices_match_the_events(sync_world)


def test_rebuild_recomputes_a_tenant_written_around_the_sync(sync_world: SyncWorld) -> None:
    tenant = sync_world.tenants["tenant-005"]
    db.session.execute(insert(Event), [{
        "hub_id": tenant.hub_id, "tenant_id": tenant.id, "remote_event_id": f"bulk{n}",
        "occurred_at": WHEN + timedelta(seconds=n), "action": f"bulk{n % 3}", "entity_type": None,
        "on_behalf_of_user_id": f"acme.b{n % 4}", "on_behalf_of_name": f"B {n}", "billing_company_id": "acme",
        "proxy": True, "pulled_at": WHEN,
    } for n in range(20)])
    db.session.commit()
    one = Scope(hub_id=tenant.hub_id, tenant_id=tenant.id)
    assert activity.staff_choices(one) == []  # nothing told the side table yet
    rebuild_choices([tenant.id])
    db.session.commit()
    assert activity.staff_choices(one) == grouped_staff_choices(one) and len(activity.staff_choices(one)) == 4
    assert activity.distinct_values(one, "action") == ["bulk0", "bulk1", "bulk2"]
    rebuild_choices([tenant.id])  # again: idempotent
    db.session.commit()
    assert_choices_match_the_events(sync_world)
