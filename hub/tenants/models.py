"""Tenant, PermissionLevel, BillingCredential and AccessGrant."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import AgentGroup, Hub, User
from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db


class HealthStatus(enum.StrEnum):
    """What the hub last saw of a tenant."""

    UNKNOWN = "unknown"
    OK = "ok"
    UNAVAILABLE = "unavailable"  #: timeout, connection refused, 5xx
    PROTOCOL_ERROR = "protocol_error"  #: answered garbage
    AUTH_FAILED = "auth_failed"  #: a stored Billing credential was refused
    MISCONFIGURED = "misconfigured"  #: e.g. the Billing account is a charged Standard seat


class Tenant(db.Model):
    """A BestNotes customer serviced by the hub's billing company."""

    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("hub_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: registry slug of the connector (tenant_connectors.registry)
    connector: Mapped[str] = mapped_column(String(50), default="http")
    base_url: Mapped[str] = mapped_column(String(500))
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # health, written by whatever last talked to the tenant
    health_status: Mapped[HealthStatus] = mapped_column(String(20), default=HealthStatus.UNKNOWN)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_code: Mapped[str | None] = mapped_column(String(50))
    last_error_message: Mapped[str | None] = mapped_column(String(500))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)

    hub: Mapped[Hub] = relationship()
    permission_levels: Mapped[list[PermissionLevel]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="PermissionLevel.name"
    )
    credentials: Mapped[list[BillingCredential]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Tenant {self.id}>"


class PermissionLevel(db.Model):
    """A permission level in a tenant (mirrors one of its Billing permission groups)."""

    __tablename__ = "permission_levels"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    #: order used when an agent holds several levels (higher wins)
    weight: Mapped[int] = mapped_column(Integer, default=0)

    tenant: Mapped[Tenant] = relationship(back_populates="permission_levels")

    def __repr__(self) -> str:
        return f"<PermissionLevel {self.id}>"


class BillingCredential(db.Model):
    """A tenant's Billing user (the shared key), one per permission level; the secret is sealed."""

    __tablename__ = "billing_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "permission_level_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    permission_level_id: Mapped[int] = mapped_column(ForeignKey("permission_levels.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    #: the Billing User ID in the tenant's system (not secret)
    remote_user_id: Mapped[str] = mapped_column(String(100))
    #: AES-GCM sealed password, bound to this row (hub.vault); write-only in every screen
    secret_sealed: Mapped[str] = mapped_column(Text)
    secret_key_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="credentials")
    permission_level: Mapped[PermissionLevel] = relationship()

    def __repr__(self) -> str:  # never the secret
        return f"<BillingCredential {self.id}>"


class AccessGrant(db.Model):
    """An admin's decision: this agent (or agent group) uses this permission level on this tenant."""

    __tablename__ = "access_grants"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (agent_group_id IS NULL)", name="one_grantee"),
        UniqueConstraint("permission_level_id", "user_id", "agent_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    permission_level_id: Mapped[int] = mapped_column(
        ForeignKey("permission_levels.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agent_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("agent_groups.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship()
    permission_level: Mapped[PermissionLevel] = relationship()
    user: Mapped[User | None] = relationship()
    agent_group: Mapped[AgentGroup | None] = relationship()
