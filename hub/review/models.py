"""Seat check snapshots: what a tenant's billing-company accounts looked like at a check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db


class SeatCheckRun(db.Model):
    """One "Check now": when, by whom, and whether the tenant answered (its rows are the snapshot)."""

    __tablename__ = "seat_check_runs"
    __table_args__ = (Index("ix_seat_check_runs_tenant_time", "tenant_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: ok | failed
    outcome: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(50))
    #: the connector's secret-free message (or ours)
    error_message: Mapped[str | None] = mapped_column(String(500))
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    charged: Mapped[int] = mapped_column(Integer, default=0)

    rows: Mapped[list[SeatCheck]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SeatCheck.user_id"
    )

    def __repr__(self) -> str:
        return f"<SeatCheckRun {self.id} tenant={self.tenant_id} {self.outcome}>"


class SeatCheck(db.Model):
    """A billing-company account of the tenant at a check, and whether the tenant charges it as a seat."""

    __tablename__ = "seat_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("seat_check_runs.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    user_type: Mapped[str] = mapped_column(String(20))
    billing_company_id: Mapped[str | None] = mapped_column(String(100))
    billing_company_name: Mapped[str | None] = mapped_column(String(200))
    permission_group: Mapped[str] = mapped_column(String(200), default="")
    #: the tenant charges this account as a seat: a misconfiguration for a billing-company account
    charged: Mapped[bool] = mapped_column(Boolean, default=False)

    run: Mapped[SeatCheckRun] = relationship(back_populates="rows")

    def __repr__(self) -> str:
        return f"<SeatCheck {self.id} run={self.run_id}>"
