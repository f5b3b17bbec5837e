"""Tenant registry screens for hub admins: tenants and their permission levels.

Every change goes through :mod:`hub.tenants.service`, which validates, scopes and audits it; the
screen only maps the service's field errors back onto the form.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement
from wtforms import Form, SelectChoice, SelectField, TextAreaField, ValidationError, validators

from admin_views.base import SecureModelView, signed_in_user, the_current_hub
from admin_views.forms import ScopedSelectField, strip_text
from hub.accounts.models import Hub, Role
from hub.extensions import db
from hub.tenants import service
from hub.tenants.models import PermissionLevel, Tenant

#: columns written by whatever last talked to the tenant: shown, never edited here
HEALTH_COLUMNS = ("health_status", "last_contact_at", "consecutive_failures", "last_error_code")
_EDITABLE = ("name", "connector", "base_url", "notes", "active")


def connector_choices() -> list[SelectChoice]:
    """Installed tenant connectors, by slug."""
    from tenant_connectors import registry

    try:
        slugs = sorted(registry.available())
    except Exception:  # a broken plug-in must not take the form down; offer what is declared
        slugs = sorted(ep.name for ep in entry_points(group=registry.ENTRY_POINT_GROUP))
    return [SelectChoice(slug, slug) for slug in slugs]


class ConnectorSelectField(SelectField):
    """A select whose choices are read from the registry each time the form is built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = connector_choices()


def _hub_tenants() -> Any:
    hub = the_current_hub()
    return db.session.query(Tenant).filter(Tenant.hub_id == (hub.id if hub else -1)).order_by(Tenant.name)


def _tenant_ids_of(hub: Hub) -> Any:
    return select(Tenant.id).where(Tenant.hub_id == hub.id)


class TenantView(SecureModelView):
    """Hub admin's tenants (name, connector, URL, notes, active; health read-only)."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value})
    audit_noun = "tenant"

    can_export = True
    column_list = ("name", "connector", "base_url", "notes", "active", *HEALTH_COLUMNS)
    column_details_list = ("name", "connector", "base_url", "notes", "active", "created_at", *HEALTH_COLUMNS,
                           "last_error_at", "last_error_message")
    column_export_list = ("name", "connector", "base_url", "notes", "active", *HEALTH_COLUMNS)
    column_searchable_list = ("name", "base_url")
    column_filters = ("active", "connector", "health_status")
    column_default_sort = ("name", False)
    # text only: x-editable parses a select's choices with `new Function`, which the CSP refuses
    # (no 'unsafe-eval'), so an inline "active" select would silently break; use the edit form
    column_editable_list = ("notes",)
    column_labels = {"base_url": "Base URL"}

    form_columns = ("name", "connector", "base_url", "notes", "active")
    form_overrides = {"connector": ConnectorSelectField, "notes": TextAreaField}
    form_args = {
        "name": {"filters": [strip_text], "validators": [validators.InputRequired(), validators.Length(max=200)]},
        "base_url": {"label": "Base URL", "filters": [strip_text], "validators": [validators.InputRequired()]},
    }

    def get_create_form(self) -> type[Form]:
        """A new tenant's form also takes its first permission levels (later: their own screen)."""

        class TenantCreateForm(super().get_create_form()):  # type: ignore[misc]
            permission_levels = TextAreaField(
                "Permission levels", description="One per line, highest first.",
            )

        return TenantCreateForm

    def apply_create(self, form: Form) -> Tenant:
        """Register through :func:`hub.tenants.service.create_tenant`."""
        levels = (form.permission_levels.data or "").splitlines()
        return service.create_tenant(
            hub=the_current_hub(), name=form.name.data, base_url=form.base_url.data,
            connector=form.connector.data, notes=form.notes.data or "", actor=signed_in_user(),
            permission_levels=levels,
        )

    def apply_update(self, form: Form, model: Tenant) -> None:
        """Change only the fields the form carries (an inline edit sends one)."""
        changes = {name: form[name].data for name in _EDITABLE if name in form}
        service.update_tenant(model, actor=signed_in_user(), **changes)

    def apply_delete(self, model: Tenant) -> None:
        """A tenant with stored credentials is kept: delete those first (each is audited)."""
        if model.credentials:
            raise ValidationError("This tenant still has Billing credentials; delete them first.")
        service.delete_tenant(model, actor=signed_in_user())


class PermissionLevelView(SecureModelView):
    """Permission levels of this hub's tenants."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value})
    audit_noun = "permission_level"

    column_list = ("tenant.name", "name", "weight", "description")
    column_details_list = column_list
    column_labels = {"tenant.name": "Tenant"}
    column_searchable_list = ("name",)
    column_default_sort = ("weight", True)
    form_columns = ("tenant", "name", "weight", "description")
    form_overrides = {"tenant": ScopedSelectField}
    form_args = {
        "tenant": {"query_factory": _hub_tenants, "get_label": "name", "validators": [validators.InputRequired()]},
        "name": {"filters": [strip_text], "validators": [validators.InputRequired(), validators.Length(max=120)]},
        "description": {"filters": [strip_text]},
    }

    def hub_criterion(self, hub: Hub) -> ColumnElement[bool]:
        """Levels of this hub's tenants."""
        return PermissionLevel.tenant_id.in_(_tenant_ids_of(hub))

    def get_edit_form(self) -> type[Form]:
        """A level stays with its tenant."""
        form_class = super().get_edit_form()
        del form_class.tenant
        return form_class

    def apply_create(self, form: Form) -> PermissionLevel:
        """Add through :func:`hub.tenants.service.add_permission_level`."""
        return service.add_permission_level(
            form.tenant.data, name=form.name.data, weight=form.weight.data or 0,
            description=form.description.data or "", actor=signed_in_user(),
        )

    def apply_update(self, form: Form, model: PermissionLevel) -> None:
        """Rename or re-weigh through the service."""
        service.update_permission_level(
            model, actor=signed_in_user(), name=form.name.data, weight=form.weight.data,
            description=form.description.data,
        )

    def apply_delete(self, model: PermissionLevel) -> None:
        """Delete through the service (refused while a credential uses the level)."""
        service.delete_permission_level(model, actor=signed_in_user())
