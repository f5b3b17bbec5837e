"""The agent's tenant workspace: dashboard, entering tenants, clients and payers.

:func:`init_workspace` registers the ``workspace`` blueprint and the hooks that end tenant
sessions on revocation, account disable and hub logout.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_login import current_user

from hub.accounts.models import Role


def init_workspace(app: Flask) -> None:
    """Register the blueprint, its views, the banner's context and the session-ending hooks."""
    from hub.workspace import hooks, views_clients, views_payers, views_tenants  # noqa: F401 - registers routes
    from hub.workspace.blueprint import bp

    app.register_blueprint(bp)
    hooks.install(app)

    @app.context_processor
    def _workspace_banner() -> dict[str, Any]:
        return {"workspace_switcher": _switcher}


def _switcher() -> Any:
    """The banner's switch form over the open tenant sessions (None when there is nothing to switch to).

    Built lazily: only pages inside a tenant render it.
    """
    from hub.workspace.dashboard import switcher_choices
    from hub.workspace.forms import SwitchForm, choices
    from hub.workspace.sessions import current_session_id

    if not current_user.is_authenticated or current_user.role != Role.AGENT:
        return None
    workspace = g.get("workspace")
    current = None if workspace is None else workspace.tenant.id
    found = switcher_choices(current_user._get_current_object(), user_session_id=current_session_id(),
                             current_tenant_id=current)
    if len(found) < 2:
        return None  # nowhere else open to switch to: the banner's "find a tenant" search is the way
    form = SwitchForm(formdata=None)
    form.tenant_id.choices = choices(found)
    form.tenant_id.data = current
    return form
