"""'Sync now': a POST starts one tenant's pull in the background; the progress JSON reaches done."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import func, select

from hub.activity import syncnow
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.sync.models import SyncState, SyncStatus, TenantAuditEvent
from tests import factories
from tests.forms import submit
from tests.hub.activity.support import sandbox_tenant

CONFIG = {"TENANT_CONNECT_TIMEOUT": 2.0, "TENANT_READ_TIMEOUT": 5.0, "TENANT_TOTAL_TIMEOUT": 10.0}


def _poll(client, url: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url, headers={"Accept": "application/json"}).get_json()
        if not body["active"] or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_sync_now_pulls_the_tenant_and_progress_reaches_done(app: Flask, client, login_as, sandbox) -> None:
    app.config.update(CONFIG)
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    login_as("agent", hub=hub)
    try:
        response = submit(client, f"/activity/sync/{tenant.id}", {}, form_url="/activity")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/activity/sync/{tenant.id}")
        page = client.get(f"/activity/sync/{tenant.id}").get_data(as_text=True)
        assert "activity.js" in page and "Sync of good-therapy started." in page
        body = _poll(client, f"/activity/sync/{tenant.id}.json")
    finally:
        syncnow.wait_all(app)
    stored = db.session.scalar(select(func.count()).select_from(TenantAuditEvent)
                               .where(TenantAuditEvent.tenant_id == tenant.id))
    assert body["phase"] == "done" and body["error_code"] is None, body
    assert stored > 0 and body["events_this_run"] == stored and body["pages_done"] >= 1
    assert _audits("sync.requested") == 1 and _audits("sync.completed") == 1
    # once done the page stops refreshing itself
    page = client.get(f"/activity/sync/{tenant.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and 'data-active="false"' in page
    # the tenant's audit report holds the clinic's own staff's events too (the sandbox's gt.admin):
    # the dashboard shows our billing company's by default, everyone's on request
    ours = db.session.scalar(select(func.count()).select_from(TenantAuditEvent).where(
        TenantAuditEvent.tenant_id == tenant.id, TenantAuditEvent.billing_company_id.is_not(None)))
    assert 0 < ours < stored
    dashboard = client.get(f"/activity?tenant={tenant.id}").get_data(as_text=True)
    assert dashboard.count("data-event-id=") == ours  # fewer than a page: all of them
    everyone = client.get(f"/activity?tenant={tenant.id}&who=everyone").get_data(as_text=True)
    assert everyone.count("data-event-id=") == stored


def test_a_second_click_while_running_is_refused_politely(app: Flask, client, login_as, sandbox) -> None:
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    login_as("hub_admin", hub=hub)
    state = db.session.get(SyncState, tenant.id)
    state.status = SyncStatus.RUNNING  # a worker process is pulling it right now
    db.session.commit()
    page = client.get(f"/activity/sync/{tenant.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh"' in page  # the no-JS fallback, only while running
    response = submit(client, f"/activity/sync/{tenant.id}", {}, form_url="/activity", follow_redirects=True)
    assert "already running" in response.get_data(as_text=True)
    assert _audits("sync.requested") == 0 and not syncnow.is_pending(app, tenant.id)


def test_the_pending_pull_of_this_process_also_blocks_a_second_one(app: Flask, client, login_as, sandbox) -> None:
    app.config.update(CONFIG)
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    login_as("agent", hub=hub)
    sandbox.set_faults("good-therapy", latency_ms=400)  # keep the first pull busy for a moment
    try:
        first = submit(client, f"/activity/sync/{tenant.id}", {}, form_url="/activity", follow_redirects=True)
        second = submit(client, f"/activity/sync/{tenant.id}", {}, form_url="/activity", follow_redirects=True)
    finally:
        syncnow.wait_all(app)
        sandbox.set_faults("good-therapy")
    assert "started" in first.get_data(as_text=True)
    assert "already running" in second.get_data(as_text=True)
    assert _audits("sync.requested") == 1 and _audits("sync.completed") == 1


def test_a_tenant_without_sync_account_is_refused(app: Flask, client, login_as, sandbox) -> None:
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub, sync_account=False)
    login_as("agent", hub=hub)
    response = submit(client, f"/activity/sync/{tenant.id}", {}, form_url="/activity", follow_redirects=True)
    assert "has no sync account" in response.get_data(as_text=True)
    assert client.get(f"/activity/sync/{tenant.id}.json").get_json()["phase"] == "idle"


def test_sync_now_needs_a_csrf_token(app: Flask, client, login_as, sandbox) -> None:
    hub = factories.make_hub()
    tenant = sandbox_tenant(sandbox, hub)
    login_as("agent", hub=hub)
    assert client.post(f"/activity/sync/{tenant.id}").status_code == 400
    assert _audits("sync.requested") == 0 and not syncnow.is_pending(app, tenant.id)
