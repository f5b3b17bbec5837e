"""Output safety: stored script payloads render escaped; CSV exports neutralise formulas and are audited."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from admin_views.exporting import neutralise_cell
from hub.audit.models import AuditEvent
from hub.extensions import db
from tests import factories
from tests.admin_views.conftest import body

PAYLOAD = "<script>alert(1)</script>"


def test_stored_payloads_render_escaped(client_for) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub, name=f"T {PAYLOAD}", notes=f"N {PAYLOAD}")
    agent = factories.make_user(role="agent", hub=hub, display_name=f"A {PAYLOAD}")
    group = factories.make_group(hub, name=f"G {PAYLOAD}", members=(agent,))
    cred = factories.make_credential(tenant, "Full", label=f"L {PAYLOAD}")
    db.session.commit()
    browser, _ = client_for("hub_admin", hub)
    pages = ["/admin/tenants/", f"/admin/tenants/details/?id={tenant.id}", f"/admin/tenants/edit/?id={tenant.id}",
             "/admin/staff/", f"/admin/staff/details/?id={agent.id}", f"/admin/staff/edit/?id={agent.id}",
             "/admin/agent_groups/", f"/admin/agent_groups/details/?id={group.id}",
             f"/admin/agent_groups/edit/?id={group.id}", "/admin/credentials/",
             f"/admin/credentials/details/?id={cred.id}", "/admin/access_levels/new/", "/admin/audit_log/"]
    escaped = 0
    for url in pages:
        text = body(browser.get(url))
        assert PAYLOAD not in text, url
        escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert escaped >= len(pages) - 1  # every page but the audit list (ids only) shows a payload, escaped


def test_audit_detail_json_is_escaped(client_for) -> None:
    from hub.audit.service import record

    hub = factories.make_hub()
    event = record("tenant.updated", hub_id=hub.id, detail={"note": PAYLOAD})
    db.session.commit()
    browser, _ = client_for("hub_admin", hub)
    text = body(browser.get(f"/admin/audit_log/details/?id={event.id}"))
    assert PAYLOAD not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://e\")"])
def test_formula_prefixes_are_neutralised(cell) -> None:
    assert neutralise_cell(cell) == "'" + cell
    assert neutralise_cell("plain") == "plain" and neutralise_cell(None) is None


def test_export_neutralises_formulas_and_is_audited(client_for) -> None:
    hub = factories.make_hub()
    factories.make_tenant(hub, name="=cmd|' /C calc'!A0", notes="@SUM(1)")
    factories.make_tenant(hub, name="Plain Tenant", notes="-2+3")
    db.session.commit()
    browser, admin = client_for("hub_admin", hub)
    response = browser.get("/admin/tenants/export/csv/")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body(response))))
    names = sorted(row["Name"] for row in rows)
    assert names == ["'=cmd|' /C calc'!A0", "Plain Tenant"]
    assert sorted(row["Notes"] for row in rows) == ["'-2+3", "'@SUM(1)"]
    assert "Secret" not in rows[0] and "Hub" not in rows[0]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    assert event.detail == {"view": "tenants", "rows": 2}
    assert event.actor_id == admin.id and event.hub_id == hub.id


def test_export_columns_hold_no_secrets(client_for) -> None:
    hub = factories.make_hub()
    tenant = factories.make_tenant(hub)
    factories.make_credential(tenant, "Full", secret="export-canary-1")
    db.session.commit()
    browser, _ = client_for("hub_admin", hub)
    credentials = body(browser.get("/admin/credentials/export/csv/"))
    header = credentials.splitlines()[0]
    assert header == "Tenant,Label,Permission level,Billing User ID,Secret set,Created At"
    staff = body(browser.get("/admin/staff/export/csv/")).splitlines()[0].lower()
    assert "hash" not in staff and "totp" not in staff and "password" not in staff


def test_export_is_refused_when_its_audit_row_cannot_be_written(client_for, monkeypatch) -> None:
    hub = factories.make_hub()
    factories.make_tenant(hub, name="Exported")
    db.session.commit()
    browser, _ = client_for("hub_admin", hub)
    from hub.audit import service

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(service, "record", broken)
    with pytest.raises(RuntimeError):
        browser.get("/admin/tenants/export/csv/")
