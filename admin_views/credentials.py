"""Billing credentials screen for hub admins: the secret is write-only.

The list, details and export show label, tenant, level, remote Billing User ID and dates only; the
sealed value and its key id are not columns of any of them, nor searchable. The edit form's
password box is always empty: left blank it keeps the stored secret, filled it replaces it through
:func:`hub.tenants.service.replace_secret`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from wtforms import Form, PasswordField, StringField, validators

from admin_views.base import SecureModelView, signed_in_user, the_current_hub
from admin_views.forms import AdminForm, ScopedSelectField, strip_text
from admin_views.tenants import _hub_tenants, _tenant_ids_of
from hub.accounts.models import Hub, Role
from hub.extensions import db
from hub.tenants import service
from hub.tenants.credentials import MAX_SECRET_LENGTH
from hub.tenants.models import BillingCredential, PermissionLevel, Tenant

#: what may ever be shown or exported of a credential
PUBLIC_COLUMNS = ("tenant.name", "label", "permission_level.name", "remote_user_id", "secret_updated_at",
                  "created_at")
STORED_PLACEHOLDER = "•••• stored — leave blank to keep"


def _hub_levels() -> Any:
    hub = the_current_hub()
    return (
        db.session.query(PermissionLevel)
        .join(Tenant, PermissionLevel.tenant_id == Tenant.id)
        .filter(Tenant.hub_id == (hub.id if hub else -1))
        .order_by(Tenant.name, PermissionLevel.weight.desc())
    )


def _level_label(level: PermissionLevel) -> str:
    return f"{level.tenant.name} — {level.name}"


class CredentialCreateForm(AdminForm):
    """New credential: everything required, the secret included."""

    tenant = ScopedSelectField("Tenant", query_factory=_hub_tenants, get_label="name",
                              validators=[validators.InputRequired()])
    permission_level = ScopedSelectField("Permission level", query_factory=_hub_levels, get_label=_level_label,
                                        validators=[validators.InputRequired()])
    label = StringField("Label", filters=[strip_text], validators=[validators.InputRequired(),
                                                                   validators.Length(max=120)])
    remote_user_id = StringField("Billing User ID", filters=[strip_text],
                                 validators=[validators.InputRequired(), validators.Length(max=100)])
    secret = PasswordField("Billing user's password",
                           validators=[validators.InputRequired(), validators.Length(max=MAX_SECRET_LENGTH)])


class CredentialEditForm(AdminForm):
    """Existing credential: tenant and level stay (the seal is bound to them); blank secret keeps it."""

    label = StringField("Label", filters=[strip_text], validators=[validators.InputRequired(),
                                                                   validators.Length(max=120)])
    remote_user_id = StringField("Billing User ID", filters=[strip_text],
                                 validators=[validators.InputRequired(), validators.Length(max=100)])
    secret = PasswordField("Billing user's password", validators=[validators.Length(max=MAX_SECRET_LENGTH)],
                           render_kw={"placeholder": STORED_PLACEHOLDER, "autocomplete": "new-password"})


class CredentialView(SecureModelView):
    """Hub admin's Billing credentials (one per tenant and permission level)."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value})
    audit_noun = "billing_credential"

    can_export = True
    column_list = PUBLIC_COLUMNS
    column_details_list = PUBLIC_COLUMNS
    column_export_list = PUBLIC_COLUMNS
    column_labels = {"tenant.name": "Tenant", "permission_level.name": "Permission level",
                     "remote_user_id": "Billing User ID", "secret_updated_at": "Secret set"}
    column_searchable_list = ("label", "remote_user_id")
    column_sortable_list = ("label", "remote_user_id", "secret_updated_at")
    column_default_sort = ("label", False)

    def hub_criterion(self, hub: Hub) -> ColumnElement[bool]:
        """Credentials of this hub's tenants."""
        return BillingCredential.tenant_id.in_(_tenant_ids_of(hub))

    def get_create_form(self) -> type[Form]:
        """Explicit form: nothing else can be posted into the row."""
        return CredentialCreateForm

    def get_edit_form(self) -> type[Form]:
        """Explicit form without tenant and level."""
        return CredentialEditForm

    def apply_create(self, form: Form) -> BillingCredential:
        """Seal and store through the vault service (audited there as ``credential.created``)."""
        return service.store_credential(
            tenant=form.tenant.data, permission_level=form.permission_level.data, label=form.label.data,
            remote_user_id=form.remote_user_id.data, secret=form.secret.data, actor=signed_in_user(),
        )

    def apply_update(self, form: Form, model: BillingCredential) -> None:
        """Label and Billing User ID through the service; a new secret only when one was typed."""
        service.update_credential(model, actor=signed_in_user(), label=form.label.data,
                                  remote_user_id=form.remote_user_id.data)
        if form.secret.data:
            service.replace_secret(model, form.secret.data, actor=signed_in_user())

    def apply_delete(self, model: BillingCredential) -> None:
        """Delete through the vault service (audited as ``credential.deleted``)."""
        service.delete_credential(model, actor=signed_in_user())
