"""Hub-side records of tenant sessions: open ones (:class:`TenantSessionRecord`) and half-finished
two-part logins waiting for the agent's Restricted credentials (:class:`PendingTenantLogin`).

Both hold their secret (the tenant's bearer token, the secondary challenge id) sealed by
:mod:`hub.vault`, bound to the row and its agent, so a value copied to another row does not open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import User
from hub.dbtypes import UTCDateTime, utcnow
from hub.extensions import db
from hub.tenants.models import Tenant

#: placeholder between the INSERT that gives a row its id and the seal bound to that id
PENDING_SEAL = "pending"


class TenantSessionRecord(db.Model):
    """One agent's tenant session: "Billing user X on behalf of Restricted user Y".

    ``ended_at`` set means the session is over (``end_reason`` says why: left, expired, revoked,
    hub_logout, agent_disabled, ...); an open record whose ``expires_at`` passed counts as ended.
    """

    __tablename__ = "tenant_sessions"
    __table_args__ = (Index("ix_tenant_sessions_open", "user_id", "tenant_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("billing_credentials.id", ondelete="SET NULL"))
    #: the hub login session that opened it; it ends with that session
    user_session_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="SET NULL"))
    #: the tenant's bearer token, sealed with context ``tenant_sessions.token:<id>:<user_id>``
    token_sealed: Mapped[str] = mapped_column(Text)
    token_key_id: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: contract identities as plain JSON: {"billing_user": {...}, "acting_for": {...} | None, "tenant": {...}}
    identities: Mapped[dict[str, Any]] = mapped_column(JSON)
    permissions: Mapped[str] = mapped_column(Text, default="")
    seat_user_type: Mapped[str] = mapped_column(String(20))
    seat_charged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(50))

    tenant: Mapped[Tenant] = relationship()
    user: Mapped[User] = relationship()

    def token_context(self) -> str:
        """Associated data binding the sealed token to this row and its agent."""
        return f"tenant_sessions.token:{self.id}:{self.user_id}"

    @property
    def billing_user_label(self) -> str:
        """The Billing user as the banner names it."""
        who = self.identities.get("billing_user") or {}
        return f"{who.get('display_name', '')} ({who.get('user_id', '')})"

    @property
    def acting_for(self) -> dict[str, Any] | None:
        """The Restricted identity the session acts for (None for a straight-in login)."""
        return self.identities.get("acting_for")

    @property
    def warnings(self) -> list[str]:
        """Misconfigurations the tenant reported for this session (shown on every page)."""
        found = []
        if self.seat_charged or self.acting_for is None:
            found.append(
                "The tenant counts the Billing account as a charged Standard seat (it logged in without a "
                "secondary prompt). Ask the tenant to make it a Billing user and tell your hub admin."
            )
        acting = self.acting_for
        if acting is not None and acting.get("user_type") != "restricted":
            found.append(
                f"The tenant reports your own account ({acting.get('user_id')}) as "
                f"{acting.get('user_type')}, not Restricted: it may be charged as a seat."
            )
        return found

    def __repr__(self) -> str:  # never the token
        return f"<TenantSessionRecord {self.id}>"


class PendingTenantLogin(db.Model):
    """A Billing login the tenant answered with a secondary challenge, waiting for the agent.

    Bound to the agent's hub login session; single use; expires with the challenge.
    """

    __tablename__ = "pending_tenant_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("billing_credentials.id", ondelete="SET NULL"))
    user_session_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="CASCADE"))
    #: the challenge id, sealed with context ``pending_tenant_logins.challenge:<id>:<user_id>``
    challenge_sealed: Mapped[str] = mapped_column(Text)
    challenge_key_id: Mapped[str] = mapped_column(String(64))
    #: the non-secret rest of the challenge: billing company and Billing user
    challenge_info: Mapped[dict[str, Any]] = mapped_column(JSON)
    challenge_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship()

    def challenge_context(self) -> str:
        """Associated data binding the sealed challenge id to this row and its agent."""
        return f"pending_tenant_logins.challenge:{self.id}:{self.user_id}"

    def __repr__(self) -> str:  # never the challenge id
        return f"<PendingTenantLogin {self.id}>"
