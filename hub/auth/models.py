"""LoginAttempt: failed logins per network address, counted in the database for throttling.

Process memory would not do: several hub processes answer logins behind one address, so the count
must be shared through the database like everything else that coordinates them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db


class LoginAttempt(db.Model):
    """One failed login from ``address`` (successful ones are not kept: they never throttle)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_address_at", "address", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.id}>"
