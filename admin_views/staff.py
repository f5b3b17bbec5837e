"""Staff screen for hub admins: the agents, hub admins and tenant admins of their own hub.

Accounts are created through :func:`hub.accounts.service.create_user` with a generated initial
password that must be changed at first login; it is shown once, through a sealed one-time notice
(admin_views.notices), and nowhere else.
Password hashes and TOTP secrets are in no column, form or export of this screen. The **Reset
two-factor** action (admin_views.two_factor) is for another account of the hub whose device is lost.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import flash
from flask_admin.actions import action
from sqlalchemy.sql.elements import ColumnElement
from wtforms import Form, SelectChoice, SelectField, ValidationError, validators

from admin_views import notices
from admin_views.base import SecureModelView, changed_attributes, signed_in_user, the_current_hub
from admin_views.forms import ForeignKeySelectField, account_form_args, strip_text
from admin_views.two_factor import ResetTwoFactorMixin
from hub.accounts import service as accounts
from hub.accounts.models import HUB_STAFF_ROLES, Hub, Role, User
from hub.auth.sessions import revoke_user_sessions
from hub.extensions import db
from hub.tenants.models import Tenant

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in HUB_STAFF_ROLES]
#: columns shown, exported and editable: none holds a hash, secret or counter an attacker could use
SAFE_COLUMNS = ("email", "display_name", "role", "restricted_user_id", "tenant_id", "active", "last_login_at")


def _hub_tenants() -> Any:
    hub = the_current_hub()
    return db.session.query(Tenant).filter(Tenant.hub_id == (hub.id if hub else -1)).order_by(Tenant.name)


def _role_label(view: Any, context: Any, model: User, name: str) -> str:
    return Role(model.role).label


def _tenant_name(view: Any, context: Any, model: User, name: str) -> str:
    tenant = db.session.get(Tenant, model.tenant_id) if model.tenant_id else None
    return "" if tenant is None or tenant.hub_id != model.hub_id else tenant.name


class StaffView(ResetTwoFactorMixin, SecureModelView):
    """Hub admin's accounts screen."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value})
    audit_noun = "user"

    can_delete = False  # accounts are disabled, never deleted: the audit log names them
    can_export = True
    column_list = (*SAFE_COLUMNS, "totp_enabled")
    column_details_list = (*SAFE_COLUMNS, "must_change_password", "totp_enabled", "locked_until", "created_at")
    column_export_list = SAFE_COLUMNS
    column_labels = {"restricted_user_id": "Restricted user ID", "tenant_id": "Tenant", "display_name": "Name",
                     "totp_enabled": "Two-factor"}
    column_formatters = {"role": _role_label, "tenant_id": _tenant_name}
    column_formatters_export = {"role": _role_label, "tenant_id": _tenant_name}
    column_searchable_list = ("email", "display_name", "restricted_user_id")
    column_filters = ("role", "active")
    column_default_sort = ("email", False)

    form_columns = ("email", "display_name", "role", "restricted_user_id", "tenant", "active")
    form_overrides = {"role": SelectField}
    form_extra_fields = {
        "tenant": ForeignKeySelectField(
            "Tenant (tenant admins)", attribute_id="tenant_id", query_factory=_hub_tenants,
            get_label="name", allow_blank=True, blank_text="—",
        ),
    }
    form_args = {
        **account_form_args(),
        "role": {"choices": ROLE_CHOICES, "validators": [validators.InputRequired()]},
        "restricted_user_id": {"label": "Restricted user ID (agents)", "filters": [strip_text],
                               "validators": [validators.Optional(), validators.Length(max=100)]},
    }

    def hub_criterion(self, hub: Hub) -> ColumnElement[bool]:
        """Accounts of this hub, support accounts never."""
        return (User.hub_id == hub.id) & User.role.in_([r.value for r in HUB_STAFF_ROLES])

    def on_form_prefill(self, form: Form, id: Any) -> None:
        """Show the tenant admin's tenant (User has the id column only)."""
        user = self.get_one(id)
        form.tenant.data = db.session.get(Tenant, user.tenant_id) if user.tenant_id else None

    def enforce_scope(self, form: Form, model: User, hub: Hub, is_created: bool) -> None:
        """Hub from the signed-in admin; role-dependent fields consistent; no self-lock-out."""
        model.hub_id = hub.id
        role = Role(model.role)
        if role not in HUB_STAFF_ROLES:
            raise ValidationError("Choose agent, hub admin or tenant admin.")
        if role is Role.TENANT_ADMIN:
            if model.tenant_id is None:
                raise ValidationError("A tenant admin needs a tenant of this hub.")
        else:
            model.tenant_id = None
        if role is Role.AGENT and not model.restricted_user_id:
            raise ValidationError("An agent needs the User ID of their Restricted account.")
        if role is not Role.AGENT:
            model.restricted_user_id = None
        me = signed_in_user()
        if me is not None and model.id == me.id and (role is not Role.HUB_ADMIN or not model.active):
            raise ValidationError("You cannot demote or disable your own account.")

    def apply_create(self, form: Form) -> User:
        """Create through the accounts service with a one-time initial password."""
        hub = the_current_hub()
        if form.role.data not in {r.value for r in HUB_STAFF_ROLES}:
            raise ValidationError("Choose agent, hub admin or tenant admin.")
        tenant = form.tenant.data
        if form.role.data == Role.AGENT.value and not form.restricted_user_id.data:
            raise ValidationError("An agent needs the User ID of their Restricted account.")
        initial = secrets.token_urlsafe(12)
        user = accounts.create_user(
            email=form.email.data, display_name=form.display_name.data, role=form.role.data,
            password=initial, actor=signed_in_user(), hub=hub,
            tenant_id=None if tenant is None else tenant.id,
            restricted_user_id=form.restricted_user_id.data or None, must_change_password=True,
        )
        if not form.active.data:
            accounts.disable_user(user, actor=signed_in_user())
        notices.hold_initial_password(user, initial)
        return user

    def apply_update(self, form: Form, model: User) -> None:
        """Update, end sessions when the account is disabled or its role changes, audit by field name."""
        was_active, old_role = bool(model.active), str(model.role)
        form.populate_obj(model)
        hub = the_current_hub()
        if hub is None:
            raise ValidationError("Your account belongs to no hub.")
        self.enforce_scope(form, model, hub, False)
        fields = changed_attributes(model)
        if was_active and not model.active:
            accounts.disable_user(model, actor=signed_in_user())  # ends every session, audited
            fields.remove("active")
        elif str(model.role) != old_role:
            revoke_user_sessions(model, "role_changed")
        if fields:
            self.audit("user.updated", model, fields=fields)
        db.session.flush()

    def after_model_change(self, form: Form, model: User, is_created: bool) -> None:
        """Show a new account's initial password once, after the commit succeeded."""
        notices.announce_initial_password(model, is_created)

    @action("unlock", "Unlock", "End the lockout of the selected accounts?")
    def action_unlock(self, ids: list[str]) -> None:
        """End lockouts now (each audited as ``user.unlocked``); all ids must be of this hub."""
        users = self.scoped_by_ids(ids)

        def unlock_all() -> None:
            for user in users:
                accounts.unlock_user(user, actor=signed_in_user())

        if not self.in_transaction(unlock_all, None):
            return
        flash(f"{len(users)} account(s) unlocked.", "success")

    def refused(self, exc: Exception, form: Form | None) -> None:
        """Show the accounts service's problems next to their fields."""
        if isinstance(exc, accounts.AccountError) and form is not None:
            self.show_problems(form, exc.problems)
            return
        super().refused(exc, form)
