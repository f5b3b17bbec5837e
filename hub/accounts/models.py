"""Hub, User (with role), AgentGroup and the server-side UserSession records."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db


class Role(enum.StrEnum):
    """What a hub account may do."""

    SUPPORT = "support"  #: vendor staff: provisions hubs and their first admin; no tenant data
    HUB_ADMIN = "hub_admin"  #: billing-company admin: tenants, credentials, staff, access levels
    AGENT = "agent"  #: billing-company staff: enters tenants, manages payers
    TENANT_ADMIN = "tenant_admin"  #: a tenant's admin: read-only review of one tenant

    @property
    def label(self) -> str:
        """Screen label."""
        return {"support": "Vendor support", "hub_admin": "Hub admin", "agent": "Agent",
                "tenant_admin": "Tenant admin"}[self.value]


#: a hub's own accounts (every role but support): what a hub admin creates and manages, and whose
#: two-factor the hub admin may reset
HUB_STAFF_ROLES = (Role.AGENT, Role.HUB_ADMIN, Role.TENANT_ADMIN)


class Hub(db.Model):
    """A billing company's top-level admin site; hubs in one deployment are strictly isolated."""

    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: the billing company's id in the vendor's registry (what tenants pick in "Billing Company")
    billing_company_ref: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Hub {self.slug}>"


agent_group_members = Table(
    "agent_group_members",
    db.Model.metadata,
    Column("agent_group_id", ForeignKey("agent_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A hub account. Support accounts belong to no hub; tenant admins are scoped to one tenant."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id"), index=True)
    #: login name, stored lower-case; unique across the deployment so login needs no hub picker
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    #: tenant admins only: the one tenant they review
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    #: agents only: the User ID of their Restricted account in the billing company's own system
    restricted_user_id: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP secret, sealed by the vault (see hub.vault); never shown after enrolment
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: last accepted TOTP time step, so a code is never accepted twice
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hub: Mapped[Hub | None] = relationship()
    groups: Mapped[list[AgentGroup]] = relationship(secondary=agent_group_members, back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active) and (self.hub is None or self.hub.active)

    def has_role(self, *roles: Role) -> bool:
        """Whether the account holds one of ``roles``."""
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AgentGroup(db.Model):
    """A named set of agents that access levels can be granted to at once."""

    __tablename__ = "agent_groups"
    __table_args__ = (UniqueConstraint("hub_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")

    members: Mapped[list[User]] = relationship(secondary=agent_group_members, back_populates="groups")

    def __repr__(self) -> str:
        return f"<AgentGroup {self.name}>"


class UserSession(db.Model):
    """A server-side login session; the cookie holds only its random id (stored hashed here)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random session id carried in the signed cookie
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()
