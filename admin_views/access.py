"""Access levels screen for hub admins: which agent or agent group uses which level on which tenant.

Grants are created and revoked (deleted) only; revoking goes through
:func:`hub.tenants.service.revoke_access`, which tells the tenant-session code to end open sessions.
"""

from __future__ import annotations

from typing import Any

from wtforms import Form, ValidationError, validators

from admin_views.base import SecureModelView, signed_in_user, the_current_hub
from admin_views.credentials import _hub_levels, _level_label
from admin_views.forms import AdminForm, ScopedSelectField
from admin_views.groups import _hub_agents
from admin_views.tenants import _hub_tenants
from hub.accounts.models import AgentGroup, Role
from hub.extensions import db
from hub.tenants import service
from hub.tenants.models import AccessGrant

PUBLIC_COLUMNS = ("tenant.name", "permission_level.name", "user.email", "agent_group.name", "created_at")


def _hub_groups() -> Any:
    hub = the_current_hub()
    return db.session.query(AgentGroup).filter(AgentGroup.hub_id == (hub.id if hub else -1)).order_by(AgentGroup.name)


class GrantForm(AdminForm):
    """A new grant: tenant, one of its levels, and exactly one grantee of this hub."""

    tenant = ScopedSelectField("Tenant", query_factory=_hub_tenants, get_label="name",
                              validators=[validators.InputRequired()])
    permission_level = ScopedSelectField("Permission level", query_factory=_hub_levels, get_label=_level_label,
                                        validators=[validators.InputRequired()])
    user = ScopedSelectField("Agent", query_factory=_hub_agents, allow_blank=True, blank_text="—",
                            get_label=lambda u: f"{u.display_name} <{u.email}>")
    agent_group = ScopedSelectField("Agent group", query_factory=_hub_groups, allow_blank=True, blank_text="—",
                                   get_label="name")

    def validate_permission_level(self, field: Any) -> None:
        """The level must belong to the chosen tenant."""
        if field.data is not None and self.tenant.data is not None and field.data.tenant_id != self.tenant.data.id:
            raise ValidationError("Choose a permission level of this tenant.")

    def validate_agent_group(self, field: Any) -> None:
        """Exactly one grantee."""
        if (self.user.data is None) == (field.data is None):
            raise ValidationError("Choose either an agent or an agent group (one of the two).")


class AccessGrantView(SecureModelView):
    """Hub admin's access levels."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value})
    audit_noun = "access_grant"

    can_edit = False  # a grant is given or revoked, never rewritten
    can_export = True
    column_list = PUBLIC_COLUMNS
    column_details_list = PUBLIC_COLUMNS
    column_export_list = PUBLIC_COLUMNS
    column_labels = {"tenant.name": "Tenant", "permission_level.name": "Permission level",
                     "user.email": "Agent", "agent_group.name": "Agent group"}
    column_sortable_list = ("created_at",)
    column_default_sort = ("created_at", True)

    def get_create_form(self) -> type[Form]:
        """Explicit form: hub and ids cannot be posted."""
        return GrantForm

    def get_edit_form(self) -> type[Form]:
        """Never used (``can_edit`` is off) but explicit all the same."""
        return GrantForm

    def apply_create(self, form: Form) -> AccessGrant:
        """Grant through the service (audited as ``access.granted``)."""
        return service.grant_access(
            permission_level=form.permission_level.data, tenant=form.tenant.data, user=form.user.data,
            group=form.agent_group.data, actor=signed_in_user(),
        )

    def apply_delete(self, model: AccessGrant) -> None:
        """Revoke through the service so open tenant sessions end (audited as ``access.revoked``)."""
        service.revoke_access(model, actor=signed_in_user())
