"""Audit log screen: read-only, filterable, newest first; plus a chain verification page.

Hub admins see their hub's chain; support sees the ``system`` chain and hub-creation events only.
Reading changes nothing and is not audited; exporting is (``export.csv``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask_admin import expose
from flask_admin.contrib.sqla.filters import (
    DateTimeBetweenFilter,
    FilterEqual,
    FilterLike,
    IntEqualFilter,
)
from markupsafe import Markup, escape
from sqlalchemy import or_

from admin_views.base import SecureModelView, signed_in_user, the_current_hub
from hub.accounts.models import Role
from hub.audit import service as audit
from hub.audit.models import AuditEvent

LIST_COLUMNS = ("occurred_at", "actor_label", "action", "outcome", "tenant_id", "target_type", "target_id",
                "address")


class UTCBetweenFilter(DateTimeBetweenFilter):
    """Time range typed in UTC; the column stores aware datetimes and refuses naive ones."""

    def clean(self, value: str) -> list[datetime]:
        """Both ends as aware UTC datetimes."""
        return [moment.replace(tzinfo=UTC) for moment in super().clean(value)]


def _detail_json(view: Any, context: Any, model: AuditEvent, name: str) -> Markup:
    # escape() first: the JSON is data (tenant names, field names), shown as text, never as markup
    return Markup("<pre>{}</pre>").format(escape(json.dumps(model.detail, indent=2, sort_keys=True, default=str)))


def _detail_text(view: Any, context: Any, model: AuditEvent, name: str) -> str:
    return json.dumps(model.detail, sort_keys=True, default=str)


class AuditLogView(SecureModelView):
    """The hub audit log, read-only."""

    allowed_roles = frozenset({Role.HUB_ADMIN.value, Role.SUPPORT.value})
    audit_noun = "audit_event"
    needs_hub = False

    can_create = False
    can_edit = False
    can_delete = False
    can_export = True
    action_disallowed_list = ["delete"]
    list_template = "admin/audit_list.html"
    named_filter_urls = True  # readable, bookmarkable filter links (?flt0_outcome_equals=failure)

    column_list = LIST_COLUMNS
    column_details_list = ("chain_key", "seq", *LIST_COLUMNS, "hub_id", "actor_id", "detail", "prev_hash", "hash")
    column_export_list = (*LIST_COLUMNS, "detail")
    column_formatters = {"detail": _detail_json}
    column_formatters_export = {"detail": _detail_text}
    column_labels = {"actor_label": "Actor", "occurred_at": "Time", "tenant_id": "Tenant id"}
    column_sortable_list = ("occurred_at", "action", "actor_label", "outcome")
    column_default_sort = [("occurred_at", True), ("id", True)]
    column_filters = (
        FilterLike(AuditEvent.action, "Action"),
        FilterEqual(AuditEvent.action, "Action"),
        FilterLike(AuditEvent.actor_label, "Actor"),
        IntEqualFilter(AuditEvent.tenant_id, "Tenant id"),
        FilterEqual(AuditEvent.outcome, "Outcome"),
        UTCBetweenFilter(AuditEvent.occurred_at, "Time (UTC)"),
    )

    def chain_keys(self) -> list[str]:
        """The chains the signed-in user may read."""
        user = signed_in_user()
        if user is None:
            return []
        if user.role == Role.SUPPORT.value:
            return [audit.SYSTEM_CHAIN]
        hub = the_current_hub()
        return [] if hub is None else [audit.chain_key_for(hub.id)]

    def scope(self, query: Any) -> Any:
        """Own hub's chain; support: the system chain and hub-creation events."""
        user = signed_in_user()
        if user is not None and user.role == Role.SUPPORT.value:
            return query.filter(or_(AuditEvent.chain_key == audit.SYSTEM_CHAIN, AuditEvent.action == "hub.created"))
        return query.filter(AuditEvent.chain_key.in_(self.chain_keys()))

    def audit_hub_id(self, model: Any) -> int | None:
        """Exports are recorded in the reader's own chain."""
        hub = the_current_hub()
        return None if hub is None else hub.id

    @expose("/verify/")
    def verify_view(self) -> str:
        """Walk the reader's chains; show OK or the first broken link."""
        results = [(key, audit.verify_chain(key)) for key in self.chain_keys()]
        return self.render("admin/audit_verify.html", results=results)
