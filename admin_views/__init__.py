"""Flask-Admin views of the hub, each secured by role and scoped to the current hub.

:func:`init_admin` builds a fresh :class:`flask_admin.Admin` (and fresh view instances) for every
app: tests build many apps, and Flask-Admin views remember the Admin they were added to.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme

from admin_views.access import AccessGrantView
from admin_views.audit import AuditLogView
from admin_views.base import deny, role_allowed
from admin_views.credentials import CredentialView
from admin_views.groups import AgentGroupView
from admin_views.hub_admins import HubAdminView
from admin_views.hubs import HubView
from admin_views.staff import StaffView
from admin_views.tenants import PermissionLevelView, TenantView
from hub.accounts.models import AgentGroup, Hub, Role, User
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.security import csp_nonce
from hub.tenants.models import AccessGrant, BillingCredential, PermissionLevel, Tenant

#: who may open /admin/ at all (each screen narrows further)
ADMIN_ROLES = frozenset({Role.SUPPORT.value, Role.HUB_ADMIN.value})


class HubAdminIndex(AdminIndexView):
    """The admin start page: links to the screens the signed-in role may open."""

    def is_accessible(self) -> bool:
        """Support and hub admins only."""
        return role_allowed(ADMIN_ROLES)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Login redirect for anonymous visitors, 403 otherwise."""
        return deny(name)

    @expose("/")
    def index(self) -> str:
        """Start page."""
        return self.render("admin/index.html")


def init_admin(app: Flask) -> Admin:
    """Build the Flask-Admin instance for ``app`` and add every view."""
    from admin_views import notices

    app.jinja_env.globals["one_time_notice"] = notices.pop
    admin = Admin(
        app,
        name="Billing Hub admin",
        theme=Bootstrap4Theme(base_template="admin/hub_base.html", swatch="default"),
        index_view=HubAdminIndex(name="Home", url="/admin", endpoint="admin"),
        # the hub's CSP forbids inline scripts; Flask-Admin's few get this request's nonce
        csp_nonce_generator=csp_nonce,
    )
    # Flask-Admin 2.x takes the Flask-SQLAlchemy object (a bare session is deprecated)
    session = db
    admin.add_view(HubView(Hub, session, name="Hubs", endpoint="hubs"))
    admin.add_view(HubAdminView(User, session, name="Hub admins", endpoint="hub_admins"))
    admin.add_view(StaffView(User, session, name="Staff", endpoint="staff"))
    admin.add_view(AgentGroupView(AgentGroup, session, name="Agent groups", endpoint="agent_groups"))
    admin.add_view(TenantView(Tenant, session, name="Tenants", endpoint="tenants", category="Tenants"))
    admin.add_view(PermissionLevelView(PermissionLevel, session, name="Permission levels",
                                       endpoint="permission_levels", category="Tenants"))
    admin.add_view(CredentialView(BillingCredential, session, name="Billing credentials",
                                  endpoint="credentials", category="Tenants"))
    admin.add_view(AccessGrantView(AccessGrant, session, name="Access levels", endpoint="access_levels",
                                   category="Tenants"))
    admin.add_view(AuditLogView(AuditEvent, session, name="Audit log", endpoint="audit_log"))
    return admin
