"""AuditEvent (the hub's hash-chained log) and AuditChain (the head of each chain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db


class AuditChain(db.Model):
    """Head of one hash chain (one per hub, plus ``system`` for support actions).

    Writers lock this row (``SELECT ... FOR UPDATE``) so concurrent processes append in order and the
    chain never forks; it also makes deleting the newest event detectable.
    """

    __tablename__ = "audit_chains"

    chain_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(db.Model):
    """One hub action: who, in which hub and tenant, from where, when, and what (no secrets).

    Ids are plain integers, not foreign keys: the log outlives what it names and no cascade may
    ever rewrite a hashed row.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain_key", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_key: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    hub_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: the actor's login name at the time (kept if the account is renamed or deleted)
    actor_label: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    tenant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(64))
    #: structured, secret-free details (ids, field names, counts)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
