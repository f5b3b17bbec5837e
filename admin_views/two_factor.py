"""The "Reset two-factor" list action, shared by the Staff screen and support's Hub admins screen.

The rows come through the screen's :meth:`~admin_views.base.SecureModelView.scoped_by_ids` (another
hub's id is a 404 and nothing changes); :func:`hub.auth.totp.reset_refusal` then decides per account
(never one's own, never an account without two-factor).  Every reset ends the account's sessions and
is audited as ``auth.totp_reset`` in the account's hub chain; its next sign-in leads to enrolment.
"""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action

from admin_views.base import signed_in_user
from hub.auth import totp

CONFIRMATION = (
    "Reset two-factor authentication of the selected accounts? Their sessions end and they must set up "
    "two-factor again at their next sign-in."
)


class ResetTwoFactorMixin:
    """Mix into a :class:`~admin_views.base.SecureModelView` of :class:`~hub.accounts.models.User`."""

    @action("reset_totp", "Reset two-factor", CONFIRMATION)
    def action_reset_totp(self, ids: list[str]) -> None:
        """Reset the selected accounts' two-factor, all or none (each audited as ``auth.totp_reset``)."""
        users = self.scoped_by_ids(ids)  # type: ignore[attr-defined]
        actor = signed_in_user()
        if actor is None:  # the role check ran first; a vanished session is refused the same way
            flash("Sign in again.", "error")
            return
        refusals = [reason for user in users if (reason := totp.reset_refusal(actor, user)) is not None]
        if refusals:
            flash(" ".join(dict.fromkeys(refusals)) + " Nothing was reset.", "error")
            return

        def reset_all() -> None:
            for user in users:
                totp.reset_totp(user, actor=actor)

        if not self.in_transaction(reset_all, None):  # type: ignore[attr-defined]
            return
        flash(f"Two-factor reset for {len(users)} account(s): they must set it up again at their next sign-in.",
              "success")
