"""TenantAuditEvent (the hub's copy of tenants' audit rows), ActivityChoice, SyncAccount and SyncState."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db
from hub.tenants.models import BillingCredential, Tenant

#: 64-bit ids on PostgreSQL (millions of events per hub); SQLite only autoincrements INTEGER keys
BigId = BigInteger().with_variant(Integer, "sqlite")
#: the rows of a billing company (Billing users, and the Restricted users they act for), not the clinic's own
THIRD_PARTY = "billing_company_id IS NOT NULL"


class TenantAuditEvent(db.Model):
    """One row of a tenant's Audit Report as pulled by the sync engine (never edited afterwards).

    ``(tenant_id, remote_event_id)`` is unique, so pulling a page again is harmless.  The indexes
    end in ``(occurred_at, id)`` so that the dashboard pages by keyset (``(occurred_at, id) <
    (:t, :id) ORDER BY occurred_at DESC, id DESC``) under each filter it offers: hub-wide, per
    tenant, per staff member (on-behalf-of Restricted user), per Billing user, per action and per
    entity.  The two partial indexes hold only billing-company rows: the dashboard's default "Our
    billing company" (and the tenant-admin review) page through them without skipping the clinic's
    own staff's events.
    """

    __tablename__ = "tenant_audit_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "remote_event_id"),
        Index("ix_tae_hub_time", "hub_id", "occurred_at", "id"),
        Index("ix_tae_tenant_time", "tenant_id", "occurred_at", "id"),
        Index("ix_tae_hub_staff_time", "hub_id", "on_behalf_of_user_id", "occurred_at", "id"),
        Index("ix_tae_hub_action_time", "hub_id", "action", "occurred_at", "id"),
        Index("ix_tae_hub_user_time", "hub_id", "user_id", "occurred_at", "id"),
        Index("ix_tae_hub_entity_time", "hub_id", "entity_type", "entity_id", "occurred_at", "id"),
        # tenant-admin review: activity per staff member inside one tenant
        Index("ix_tae_tenant_staff_time", "tenant_id", "on_behalf_of_user_id", "occurred_at", "id"),
        Index("ix_tae_hub_company_time", "hub_id", "occurred_at", "id",
              postgresql_where=text(THIRD_PARTY), sqlite_where=text(THIRD_PARTY)),
        Index("ix_tae_tenant_company_time", "tenant_id", "occurred_at", "id",
              postgresql_where=text(THIRD_PARTY), sqlite_where=text(THIRD_PARTY)),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: the tenant's own id of the row (opaque string)
    remote_event_id: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(50))
    entity_type: Mapped[str | None] = mapped_column(String(100))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    #: the account that logged in (the Billing user for third-party access)
    user_id: Mapped[str | None] = mapped_column(String(100))
    user_name: Mapped[str | None] = mapped_column(String(200))
    user_type: Mapped[str | None] = mapped_column(String(20))
    #: the billing company's Restricted user the Billing user acted for (the staff member)
    on_behalf_of_user_id: Mapped[str | None] = mapped_column(String(100))
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(200))
    billing_company_id: Mapped[str | None] = mapped_column(String(100))
    billing_company_name: Mapped[str | None] = mapped_column(String(200))
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    source_port: Mapped[int | None] = mapped_column(Integer)
    platform: Mapped[str | None] = mapped_column(String(200))
    os: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    pulled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship()

    def __repr__(self) -> str:
        return f"<TenantAuditEvent {self.id} tenant={self.tenant_id} remote={self.remote_event_id}>"


class ChoiceKind(enum.StrEnum):
    """What an :class:`ActivityChoice` is a value of (the dashboard filter's selects)."""

    STAFF = "staff"  #: on-behalf-of Restricted user id, labelled with their name
    ACTION = "action"
    ENTITY_TYPE = "entity_type"


class ActivityChoice(db.Model):
    """A value the dashboard's filter offers: a staff member, an action or an entity type seen in a tenant.

    Filled by the sync in the transaction that stores the events (:mod:`hub.sync.choices`), so the
    filter's selects read a few hundred rows here instead of grouping every event of the hub.
    ``billing_company_id`` is the billing company of the events the value was seen in ('' for the
    clinic's own users: '' rather than NULL so that the unique key holds on both backends), so the
    selects can be narrowed exactly like the events ("Our billing company", the tenant-admin review).
    ``label`` is the highest staff name seen (what ``max(on_behalf_of_name)`` over the events gives).
    """

    __tablename__ = "activity_choices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "billing_company_id", "value"),
        Index("ix_activity_choices_hub_kind", "hub_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    billing_company_id: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[str] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<ActivityChoice tenant={self.tenant_id} {self.kind}={self.value!r}>"


class SyncAccount(db.Model):
    """A tenant's dedicated sync credential: a Billing credential plus a service Restricted account.

    The Restricted password (and optional TOTP secret) are sealed by :mod:`hub.vault` with the
    contexts :func:`restricted_secret_context` / :func:`totp_secret_context`, bound to this row.
    """

    __tablename__ = "sync_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), unique=True)
    #: the Billing credential sync logs in with; NULL when it was deleted (sync then stops)
    billing_credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_credentials.id", ondelete="SET NULL"), index=True
    )
    #: User ID of the billing company's service Restricted account (not secret)
    restricted_user_id: Mapped[str] = mapped_column(String(100))
    restricted_secret_sealed: Mapped[str] = mapped_column(Text)
    restricted_key_id: Mapped[str] = mapped_column(String(64), index=True)
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    totp_key_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship()
    billing_credential: Mapped[BillingCredential | None] = relationship()

    def __repr__(self) -> str:  # never the secrets
        return f"<SyncAccount {self.id} tenant={self.tenant_id}>"


def restricted_secret_context(account: SyncAccount) -> str:
    """Vault context of the Restricted password (row and column bound)."""
    return f"sync_accounts.restricted_secret:{account.id}:{account.tenant_id}"


def totp_secret_context(account: SyncAccount) -> str:
    """Vault context of the Restricted account's TOTP secret."""
    return f"sync_accounts.totp_secret:{account.id}:{account.tenant_id}"


class SyncStatus(enum.StrEnum):
    """Where a tenant's sync stands (what a "sync now" page polls)."""

    IDLE = "idle"
    QUEUED = "queued"  #: claimed by a worker (or requested) but not started
    RUNNING = "running"


class SyncState(db.Model):
    """Per tenant: the cursor, the lease of the worker pulling it, backoff and progress."""

    __tablename__ = "sync_states"
    __table_args__ = (Index("ix_sync_states_due", "next_attempt_at", "tenant_id"),)

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    #: opaque cursor after the last *committed* event; None: from the start
    cursor: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: not claimed before this time (backoff after failures); None: due now
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error_code: Mapped[str | None] = mapped_column(String(50))
    #: the connector's secret-free message
    last_error_message: Mapped[str | None] = mapped_column(String(500))
    events_pulled_total: Mapped[int] = mapped_column(BigId, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # progress of the current (or last) run
    status: Mapped[str] = mapped_column(String(20), default=SyncStatus.IDLE)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    events_this_run: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship()

    def __repr__(self) -> str:
        return f"<SyncState tenant={self.tenant_id} {self.status}>"


def _register_sealed_columns() -> None:
    """Let key rotation (``hub.vault.rotation``) re-seal the sync accounts' secrets too."""
    from hub.vault import rotation

    rotation.register(rotation.SealedColumn(
        "sync_accounts.restricted_secret", SyncAccount, "restricted_secret_sealed", "restricted_key_id",
        restricted_secret_context,
    ))
    rotation.register(rotation.SealedColumn(
        "sync_accounts.totp_secret", SyncAccount, "totp_secret_sealed", "totp_key_id", totp_secret_context,
    ))


_register_sealed_columns()
