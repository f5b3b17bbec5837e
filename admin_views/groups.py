"""Agent groups screen for hub admins: named sets of this hub's agents that access can be granted to."""

from __future__ import annotations

from typing import Any

from wtforms import validators

from admin_views.base import SecureModelView, the_current_hub
from admin_views.forms import ScopedMultiSelectField, strip_text
from hub.accounts.models import AgentGroup, Role, User
from hub.extensions import db


def _hub_agents() -> Any:
    hub = the_current_hub()
    return (
        db.session.query(User)
        .filter(User.hub_id == (hub.id if hub else -1), User.role == Role.AGENT.value)
        .order_by(User.display_name)
    )


def _member_names(view: Any, context: Any, model: AgentGroup, name: str) -> str:
    return ", ".join(sorted(member.display_name for member in model.members))


class AgentGroupView(SecureModelView):
    """Hub admin's agent groups; members can only be agents of the same hub."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value})
    audit_noun = "agent_group"

    column_list = ("name", "description", "members")
    column_details_list = column_list
    column_formatters = {"members": _member_names}
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    column_default_sort = ("name", False)
    form_columns = ("name", "description", "members")
    form_overrides = {"members": ScopedMultiSelectField}
    form_args = {
        "name": {"filters": [strip_text], "validators": [validators.InputRequired(), validators.Length(max=120)]},
        "description": {"filters": [strip_text], "validators": [validators.Length(max=500)]},
        "members": {"query_factory": _hub_agents, "get_label": lambda u: f"{u.display_name} <{u.email}>"},
    }
