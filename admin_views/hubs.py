"""Hubs screen for vendor support: list and create billing companies' hubs (no tenant data here).

Each row links to **Add hub admin** (support's Hub admins screen, admin_views.hub_admins), where a
hub's first administrator is created with a one-time initial password.
"""

from __future__ import annotations

from typing import Any

from flask_admin.model.template import EndpointLinkRowAction
from wtforms import validators

from admin_views.base import SecureModelView
from admin_views.forms import strip_text
from hub.accounts.models import Role

_SLUG = validators.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$", message="Use 2-63 lower-case letters, digits and dashes.")


class HubView(SecureModelView):
    """Support's list of hubs; creating one is audited as ``hub.created`` in the system chain."""

    allowed_roles = frozenset({Role.SUPPORT.value})
    audit_noun = "hub"
    needs_hub = False

    can_delete = False  # a hub's audit chain and accounts outlive a mistake; deactivate instead
    column_list = ("slug", "name", "billing_company_ref", "active", "created_at")
    column_details_list = column_list
    column_labels = {"billing_company_ref": "Billing company ref"}
    column_searchable_list = ("slug", "name")
    column_default_sort = ("slug", False)
    # a link to a form (GET), not a change: the form posts with its own CSRF token
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-user-plus", "hub_admins.create_view",
                                                      title="Add hub admin", id_arg="hub")]
    form_columns = ("slug", "name", "billing_company_ref", "active")
    form_args = {
        "slug": {"validators": [validators.InputRequired(), _SLUG], "filters": [strip_text]},
        "name": {"validators": [validators.InputRequired(), validators.Length(max=200)], "filters": [strip_text]},
        "billing_company_ref": {"filters": [strip_text]},
    }

    def scope(self, query: Any) -> Any:
        """Every hub: support belongs to none, and :attr:`allowed_roles` already limits who looks."""
        return query

    def audit_hub_id(self, model: Any) -> int | None:
        """Support's actions go to the ``system`` chain."""
        return None

    def audit_tenant_id(self, model: Any) -> int | None:
        """Hubs concern no tenant."""
        return None
