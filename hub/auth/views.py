"""The auth pages: login (two steps), logout, password change, two-factor enrolment."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from hub import clock
from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.audit.service import record as audit_record
from hub.auth import totp
from hub.auth.forms import LoginForm, PasswordChangeForm, TotpEnrolForm, TotpForm
from hub.auth.guards import needs_totp_enrolment, reenrolment_pending
from hub.auth.login import Outcome, check_password, complete_login, is_locked, refuse
from hub.auth.redirects import safe_next
from hub.auth.sessions import current_session, end_current_session, start_session
from hub.extensions import db

bp = Blueprint("auth", __name__)

#: the one message for every credential failure (no hint whether the account exists or is locked)
GENERIC_REFUSAL = "Email or password is incorrect, or the account is locked for a while."
#: how long the password step stays good while the second factor is awaited
PENDING_LOGIN_SECONDS = 300
_PENDING = "pending_login"


def _finish_login(user: User, nxt: str | None) -> Response:
    complete_login(user)
    start_session(user)
    if totp.reenrolment_due(user):
        # an administrator reset the account's two-factor: enrol again before anything else
        session[totp.REENROL_SESSION_KEY] = True
    db.session.commit()
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    if needs_totp_enrolment(user):
        return redirect(url_for("auth.totp_enrol"))
    return redirect(nxt or url_for("web.home"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Step one: email and password."""
    nxt = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(nxt or url_for("web.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = check_password(form.email.data, form.password.data)
        if result.outcome is Outcome.REFUSED or result.user is None:
            error = GENERIC_REFUSAL
        elif result.outcome is Outcome.NEEDS_TOTP:
            session.clear()
            session[_PENDING] = {"uid": result.user.id, "at": int(clock.now().timestamp()), "next": nxt}
            return redirect(url_for("auth.login_totp"))
        else:
            return _finish_login(result.user, nxt)
    return render_template("auth/login.html", form=form, error=error, next=nxt)


def _pending_user() -> tuple[User | None, str | None]:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict):
        return None, None
    age = clock.now().timestamp() - float(pending.get("at", 0))
    user = db.session.get(User, pending.get("uid")) if isinstance(pending.get("uid"), int) else None
    if user is None or not 0 <= age <= PENDING_LOGIN_SECONDS:
        session.pop(_PENDING, None)
        return None, None
    return user, safe_next(pending.get("next"))


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Any:
    """Step two: the authenticator code, for accounts with two-factor."""
    user, nxt = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        if not is_locked(user) and user.is_active and totp.verify_totp(user, form.code.data):
            return _finish_login(user, nxt)
        refuse(user, user.email, "wrong_totp", counts=not is_locked(user))
        if is_locked(user) or not user.is_active:
            session.pop(_PENDING, None)
            flash(GENERIC_REFUSAL, "error")
            return redirect(url_for("auth.login"))
        form.code.errors.append("The code is incorrect or was already used.")
    return render_template("auth/login_totp.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End this session everywhere (the server-side record), not just in this browser."""
    user = current_user._get_current_object()
    audit_record("auth.logout", actor=user, target_type="user", target_id=user.id)
    end_current_session("logout")
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Any:
    """Change one's own password; every other session of the account ends."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if accounts.check_current_password(user, form.current_password.data):
            accounts.change_password(user, form.new_password.data, actor=user, keep=current_session())
            db.session.commit()
            flash("Your password was changed; other sessions were signed out.", "info")
            return redirect(url_for("web.home"))
        form.current_password.errors.append("The current password is incorrect.")
    return render_template("auth/password.html", form=form)


@bp.route("/account/totp", methods=["GET", "POST"])
def totp_enrol() -> Any:
    """Two-factor enrolment: QR code and the secret shown here, once, until confirmed."""
    user = current_user._get_current_object()
    if user.totp_enabled:
        return render_template("auth/totp_enabled.html")
    form = TotpEnrolForm()
    secret = None
    if request.method == "POST":
        if form.validate_on_submit() and totp.confirm_enrolment(user, form.code.data):
            db.session.commit()
            flash("Two-factor authentication is on.", "info")
            return redirect(url_for("web.home"))
        if form.code.data and not form.code.errors:
            form.code.errors.append("That code does not match; check your device's clock and try again.")
        secret = totp.pending_secret(user)
    if secret is None:
        secret = totp.new_secret()
        totp.set_pending_secret(user, secret)
        db.session.commit()
    uri = totp.provisioning_uri(user, secret)
    return render_template("auth/totp_enrol.html", form=form, secret=secret, qr=totp.qr_svg(uri),
                           issuer=totp.ISSUER, required=needs_totp_enrolment(user), reset=reenrolment_pending(user),
                           app_name=current_app.config.get("HUB_NAME", "Billing Hub"))
