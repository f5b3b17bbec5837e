"""SQLAlchemy 2.x typed models of the sandbox tenant server (its own metadata, not the hub's).

Money and percentages are stored as decimal *strings* so that SQLite never rounds them through a
float; times are stored as naive UTC and handed back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to naive UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC on the way out."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the sandbox schema."""


class Company(Base):
    """A company in the vendor's system: a customer (tenant) or a registered billing company."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # CompanyKind value
    token_ttl_seconds: Mapped[int] = mapped_column(Integer, default=1800)
    # fault injection settings (control API); mirrored in memory by faults.FaultBoard
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    error_rate: Mapped[float] = mapped_column(default=0.0)
    malformed_rate: Mapped[float] = mapped_column(default=0.0)
    hang: Mapped[bool] = mapped_column(Boolean, default=False)


class PermissionGroup(Base):
    """A tenant's permission group; ``permissions`` is a space-separated set of Permission values."""

    __tablename__ = "permission_groups"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    permissions: Mapped[str] = mapped_column(Text, default="")

    @property
    def permission_set(self) -> frozenset[str]:
        """The granted permissions as a set."""
        return frozenset(p for p in self.permissions.split() if p)


class User(Base):
    """A user account of one company (``user_id`` is the login name, unique per company)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    user_type: Mapped[str] = mapped_column(String(20))  # UserType value
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    billing_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), default=None)
    permission_group_id: Mapped[int | None] = mapped_column(ForeignKey("permission_groups.id"), default=None)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


class Challenge(Base):
    """A pending secondary login; only the SHA-256 of the challenge id is stored."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    billing_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    billing_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    platform: Mapped[str | None] = mapped_column(String(200), default=None)
    os: Mapped[str | None] = mapped_column(String(200), default=None)


class SessionToken(Base):
    """An open tenant session; only the SHA-256 of the bearer token is stored."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    platform: Mapped[str | None] = mapped_column(String(200), default=None)
    os: Mapped[str | None] = mapped_column(String(200), default=None)


class Client(Base):
    """A client (patient) of a tenant."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Payer(Base):
    """An entry of a tenant's payer directory."""

    __tablename__ = "payers"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    payer_type: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ClientPayer(Base):
    """A directory payer attached to a client with rank, distribution and status."""

    __tablename__ = "client_payers"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"))
    rank: Mapped[int] = mapped_column(Integer)
    distribution: Mapped[str] = mapped_column(String(30))
    amount: Mapped[str | None] = mapped_column(String(40), default=None)  # exact decimal string
    week_start_day: Mapped[int | None] = mapped_column(Integer, default=None)
    pay_start: Mapped[date] = mapped_column(Date)
    pay_end: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20))


class StatusHistory(Base):
    """One status change of a client payer."""

    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_payer_id: Mapped[int] = mapped_column(ForeignKey("client_payers.id"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str] = mapped_column(String(250))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Authorization(Base):
    """An amount per period pre-approved by a client's payer."""

    __tablename__ = "authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    client_payer_id: Mapped[int] = mapped_column(ForeignKey("client_payers.id"))
    amount: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(10))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date, default=None)


class AuditRow(Base):
    """One row of a tenant's Audit Report (identities denormalised: the report outlives accounts)."""

    __tablename__ = "audit_events"
    # paging is "WHERE company_id = ? AND id > ? ORDER BY id LIMIT n": this index serves it
    __table_args__ = (Index("ix_audit_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(30))
    entity_type: Mapped[str | None] = mapped_column(String(50), default=None)
    entity_id: Mapped[str | None] = mapped_column(String(100), default=None)
    user_id: Mapped[str | None] = mapped_column(String(100), default=None)
    user_name: Mapped[str | None] = mapped_column(String(200), default=None)
    user_type: Mapped[str | None] = mapped_column(String(20), default=None)
    on_behalf_of_user_id: Mapped[str | None] = mapped_column(String(100), default=None)
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(200), default=None)
    billing_company_id: Mapped[str | None] = mapped_column(String(64), default=None)
    billing_company_name: Mapped[str | None] = mapped_column(String(200), default=None)
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    source_port: Mapped[int | None] = mapped_column(Integer, default=None)
    platform: Mapped[str | None] = mapped_column(String(200), default=None)
    os: Mapped[str | None] = mapped_column(String(200), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
