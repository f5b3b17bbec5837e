"""Hub admins screen for vendor support: every hub's administrators, add one, reset their two-factor.

**Create** (also reached from a hub's row on the Hubs screen) goes through
:func:`hub.provisioning.create_hub_user`, the service behind ``flask hub create-user``, with the
signed-in support account as the actor: a random one-time initial password the new admin must change
at first sign-in, audited as ``user.created`` and ``provision.user_created`` in the hub's chain.  The
password is shown once, through a sealed one-time notice (admin_views.notices), and nowhere else.
There is no edit or delete here: a hub's admins manage their own staff.  Only support opens it; the
rows are hub admins, never agents, tenant admins or support accounts, and no column holds a secret.
"""

from __future__ import annotations

from typing import Any

from flask import flash, request
from wtforms import Form, validators

from admin_views import notices
from admin_views.base import SecureModelView, signed_in_user
from admin_views.forms import ScopedSelectField, account_form_args
from admin_views.two_factor import ResetTwoFactorMixin
from hub import provisioning
from hub.accounts.models import Hub, Role, User
from hub.extensions import db

COLUMNS = ("hub_id", "email", "display_name", "active", "totp_enabled", "must_change_password", "last_login_at")


def _all_hubs() -> Any:
    return db.session.query(Hub).order_by(Hub.name)


def _hub_label(hub: Hub) -> str:
    return f"{hub.name} ({hub.slug})"


def _hub_name(view: Any, context: Any, model: User, name: str) -> str:
    hub = db.session.get(Hub, model.hub_id) if model.hub_id else None
    return "" if hub is None else _hub_label(hub)


class HubAdminView(ResetTwoFactorMixin, SecureModelView):
    """Support's list of hub admins across hubs; creating one is provisioning's ``create_hub_user``."""

    allowed_roles = frozenset({Role.SUPPORT.value})
    audit_noun = "user"
    needs_hub = False

    can_edit = False
    can_delete = False
    can_export = False
    column_list = COLUMNS
    column_details_list = (*COLUMNS, "created_at")
    column_labels = {"hub_id": "Hub", "display_name": "Name", "totp_enabled": "Two-factor",
                     "must_change_password": "Must change password"}
    column_formatters = {"hub_id": _hub_name}
    column_searchable_list = ("email", "display_name")
    column_default_sort = ("email", False)

    form_columns = ("hub", "email", "display_name")
    form_overrides = {"hub": ScopedSelectField}
    form_args = {
        "hub": {"query_factory": _all_hubs, "get_label": _hub_label, "validators": [validators.InputRequired()]},
        **account_form_args(),
    }

    def scope(self, query: Any) -> Any:
        """Hub admins of every hub (support belongs to none); :attr:`allowed_roles` limits who looks."""
        return query.filter(User.role == Role.HUB_ADMIN.value)

    def audit_hub_id(self, model: Any) -> int | None:
        """Changes of a hub admin go to that admin's hub chain."""
        return getattr(model, "hub_id", None)

    def create_form(self, obj: Any = None) -> Form:
        """The hub is preselected when the form is opened from a hub's row (``?hub=<id>``)."""
        form = super().create_form(obj)
        hub_id = request.args.get("hub", type=int)
        if request.method == "GET" and hub_id is not None and form.hub.data is None:
            form.hub.data = db.session.get(Hub, hub_id)
        return form

    def apply_create(self, form: Form) -> User:
        """Provision the account; the one-time password rides on the object to the notice only."""
        user, initial = provisioning.create_hub_user(
            hub=form.hub.data, role=Role.HUB_ADMIN, email=form.email.data, name=form.display_name.data,
            actor=signed_in_user(),
        )
        notices.hold_initial_password(user, initial)
        return user

    def after_model_change(self, form: Form, model: User, is_created: bool) -> None:
        """Show the initial password once, after the commit succeeded."""
        notices.announce_initial_password(model, is_created)

    def refused(self, exc: Exception, form: Form | None) -> None:
        """Show provisioning's field problems (e.g. an email already in use) next to their fields."""
        if isinstance(exc, provisioning.ProvisioningError) and form is not None:
            if not exc.problems:
                flash(str(exc), "error")
            self.show_problems(form, exc.problems)
            return
        super().refused(exc, form)
