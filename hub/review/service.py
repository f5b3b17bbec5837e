"""The seat check: ask the tenant for its billing-company accounts and keep a snapshot.

The tenant is reached with the tenant's sync account (the hub's service Billing credential and
Restricted account, exactly as the sync engine logs in), so a tenant admin never needs, and never
sees, a credential.  Every run, failed or not, is stored and audited as ``seat_check.run``.  A run
that finds an account of the hub's billing company charged as a seat flags the tenant's health as
``misconfigured`` (what the tenant lists show), a clean run clears that flag.  It runs on a tenant
admin's "Check now" and, on a schedule, in the sync workers (:mod:`hub.review.schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from hub.activity.filters import Scope
from hub.audit.service import record
from hub.dbtypes import utcnow
from hub.extensions import db
from hub.review.models import SeatCheck, SeatCheckRun
from hub.sync.accounts import reveal_login
from hub.sync.models import SyncAccount
from hub.sync.models import TenantAuditEvent as Event
from hub.sync.service import open_session
from hub.tenants import health
from hub.tenants.connectors import connector_for
from hub.tenants.models import Tenant
from hub.vault import VaultError
from tenant_connectors.base import BillingAccount, PermissionDenied, TenantError, TenantUnavailable

#: what the page says for each failure kind (the tenant's own message is shown beside it)
FAILURE_MESSAGES = {
    "no_sync_account": "The hub has no service account for this tenant yet; ask the billing company to set one up.",
    "vault_error": "The hub could not read its service credential for this tenant.",
    "permission_denied": "The hub's Billing account may not list users in this tenant (permission group).",
    "tenant_unavailable": "The tenant system could not be reached; try again later.",
}


def _fail(run: SeatCheckRun, code: str, message: str) -> None:
    run.outcome, run.error_code, run.error_message = "failed", code, message[:500]


def _fetch(tenant: Tenant, account: SyncAccount) -> tuple[BillingAccount, ...]:
    """Log in with the sync account, list the billing accounts, log out."""
    login = reveal_login(account)
    if login is None:
        raise LookupError("no credential")
    connector = connector_for(tenant)
    session = open_session(connector, login)
    try:
        return connector.list_billing_accounts(session)
    finally:
        try:
            connector.logout(session)
        except TenantError:
            pass  # the tenant session expires on its own


def charged_accounts(tenant: Tenant, accounts: tuple[BillingAccount, ...]) -> list[BillingAccount]:
    """The charged accounts that are the hub's concern: its own billing company's (any, when the hub names none)."""
    ref = (tenant.hub.billing_company_ref or "").strip().lower()
    return [acc for acc in accounts if acc.charged and (
        not ref or (acc.billing_company is not None and acc.billing_company.company_id.strip().lower() == ref))]


def _judge_seats(tenant: Tenant, accounts: tuple[BillingAccount, ...]) -> None:
    """Flag the tenant when the hub's billing company has a charged account there; otherwise it is healthy."""
    charged = charged_accounts(tenant, accounts)
    if not charged:
        health.record_success(tenant)
        return
    ids = ", ".join(sorted(acc.user_id for acc in charged))
    health.record_misconfiguration(
        tenant, health.SEAT_CHARGED,
        f"The seat check found {len(charged)} billing-company account(s) charged as a seat (not of user type "
        f"Billing): {ids}.")


def run_seat_check(tenant: Tenant, *, actor: Any, actor_label: str | None = None) -> SeatCheckRun:
    """Check ``tenant`` now, store the snapshot and audit it (committed); the run, failed or not.

    :param actor_label: who the audit log names when there is no signed-in actor (e.g. the demo's build)
    """
    run = SeatCheckRun(hub_id=tenant.hub_id, tenant_id=tenant.id, checked_at=utcnow(),
                       checked_by_id=getattr(actor, "id", None), outcome="ok", accounts=0, charged=0)
    account = db.session.scalars(select(SyncAccount).where(SyncAccount.tenant_id == tenant.id)).first()
    accounts: tuple[BillingAccount, ...] = ()
    if account is None or account.billing_credential_id is None:
        _fail(run, "no_sync_account", FAILURE_MESSAGES["no_sync_account"])
    else:
        try:
            accounts = _fetch(tenant, account)
            _judge_seats(tenant, accounts)
        except VaultError:
            _fail(run, "vault_error", FAILURE_MESSAGES["vault_error"])
        except LookupError:
            _fail(run, "no_sync_account", FAILURE_MESSAGES["no_sync_account"])
        except PermissionDenied as exc:
            _fail(run, exc.code, FAILURE_MESSAGES["permission_denied"])
        except TenantUnavailable as exc:
            health.record_failure(tenant, exc)
            _fail(run, exc.code, f"{FAILURE_MESSAGES['tenant_unavailable']} ({exc.message})")
        except TenantError as exc:
            health.record_failure(tenant, exc)
            _fail(run, exc.code, exc.message or exc.code)
    for acc in accounts:
        company = acc.billing_company
        run.rows.append(SeatCheck(
            tenant_id=tenant.id, checked_at=run.checked_at, user_id=acc.user_id[:100],
            display_name=acc.display_name[:200], user_type=str(acc.user_type.value)[:20],
            billing_company_id=company.company_id[:100] if company else None,
            billing_company_name=company.name[:200] if company else None,
            permission_group=(acc.permission_group or "")[:200], charged=bool(acc.charged),
        ))
    run.accounts, run.charged = len(accounts), sum(1 for a in accounts if a.charged)
    try:
        db.session.add(run)
        db.session.flush()
        record("seat_check.run", actor=actor, actor_label=actor_label, hub_id=tenant.hub_id, tenant_id=tenant.id,
               target_type="seat_check_run", target_id=run.id, outcome="success" if run.outcome == "ok" else "failure",
               detail={"accounts": run.accounts, "charged": run.charged, "error_code": run.error_code})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return run


def latest_run(tenant_id: int) -> SeatCheckRun | None:
    """The tenant's most recent seat check (its rows are the snapshot shown)."""
    stmt = (select(SeatCheckRun).where(SeatCheckRun.tenant_id == tenant_id)
            .order_by(SeatCheckRun.checked_at.desc(), SeatCheckRun.id.desc()).limit(1))
    return db.session.scalars(stmt).first()


@dataclass(frozen=True, slots=True)
class DirectLogin:
    """A billing-company account seen acting without the secondary prompt (not typed Billing)."""

    user_id: str
    user_name: str
    user_type: str
    events: int
    last_seen: datetime


def direct_logins(scope: Scope) -> list[DirectLogin]:
    """Billing-company accounts whose events show a user type other than Billing (charged, no second prompt).

    This reads the synced events only, so it needs no call to the tenant.
    """
    stmt = (
        select(Event.user_id, func.max(Event.user_name), func.max(Event.user_type), func.count(),
               func.max(Event.occurred_at))
        .where(*scope.clauses(), Event.billing_company_id.is_not(None), Event.user_id.is_not(None),
               Event.user_type.is_not(None), Event.user_type != "billing")
        .group_by(Event.user_id).order_by(Event.user_id).limit(200)
    )
    return [DirectLogin(uid, name or uid, utype or "", int(n), last) for uid, name, utype, n, last in
            db.session.execute(stmt)]
