"""Everything an event-list page shows, gathered in one place for the dashboard and the review.

:func:`build` validates the query parameters and, when they are sound, reads the page of events,
the filter's choices and the charts.  Bad input never raises: it comes back as field errors with
status 400 and no rows, and the template shows the errors next to the fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_wtf import FlaskForm

from hub.activity import cursor as cursors
from hub.activity import service
from hub.activity.chart import By, Chart, activity_chart
from hub.activity.filters import WHO_CHOICES, ActivityFilter, FilterErrors, Scope, parse_filter
from hub.activity.svg import SvgChart, layout
from hub.sync.models import TenantAuditEvent
from hub.tenants.models import Tenant


class CsrfForm(FlaskForm):
    """A field-less form: just the CSRF token of a POST button."""


@dataclass(frozen=True, slots=True)
class ChartView:
    """A chart and its drawing."""

    title: str
    chart: Chart
    svg: SvgChart


@dataclass(slots=True)
class PageView:
    """The whole page: filter (or its errors), rows, cursors, choices and charts."""

    flt: ActivityFilter
    errors: dict[str, str]
    args: Mapping[str, str]
    tenants: Sequence[Tenant] = ()
    staff: Sequence[tuple[str, str]] = ()
    actions: Sequence[str] = ()
    entity_types: Sequence[str] = ()
    rows: Sequence[TenantAuditEvent] = ()
    older: str | None = None
    newer: str | None = None
    total: int | None = None
    charts: list[ChartView] = field(default_factory=list)

    @property
    def status(self) -> int:
        """HTTP status: 400 when the parameters were refused."""
        return 400 if self.errors else 200

    @property
    def tenant_names(self) -> dict[int, str]:
        """Tenant id → name, for the rows."""
        return {t.id: t.name for t in self.tenants}

    @property
    def tenant_choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` pairs of the tenant select."""
        return [(str(t.id), t.name) for t in self.tenants]

    @property
    def who_choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` pairs of the "Who" select (the default first)."""
        return list(WHO_CHOICES.items())

    @property
    def action_choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` pairs of the action select."""
        return [(a, a) for a in self.actions]

    @property
    def entity_type_choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` pairs of the entity type select."""
        return [(e, e) for e in self.entity_types]

    def link_args(self, cursor: str | None = None) -> dict[str, str]:
        """Query parameters of a link to this filter (at ``cursor``)."""
        args = self.flt.as_args()
        if cursor:
            args["cursor"] = cursor
        return args


CHART_TITLES = {"tenant": "Activity per tenant", "staff": "Activity per staff member"}


def parse(scope: Scope, args: Mapping[str, str], *, with_tenant: bool) -> tuple[ActivityFilter | None, dict[str, str]]:
    """The filter, or None and the field errors.

    "Who" is offered unless the scope already keeps only third-party events (the review).
    """
    tenant_ids = {t.id for t in service.tenants_of(scope)} if with_tenant else None
    try:
        return parse_filter(args, tenant_ids=tenant_ids, company_ref=scope.billing_company_ref,
                            with_who=not scope.third_party_only), {}
    except FilterErrors as exc:
        return None, exc.errors


def build(scope: Scope, args: Mapping[str, str], *, with_tenant: bool, charts: Sequence[By] = ()) -> PageView:
    """The page for ``args`` within ``scope``: a page of rows, or (``charts`` given) the charts.

    The list pages never count or aggregate: with millions of events each page stays one index
    range scan, and the choices come from the small ``activity_choices`` table (narrowed like the
    events by "who"); the chart page, which must read every matching event, is a separate request.
    """
    flt, errors = parse(scope, args, with_tenant=with_tenant)
    position = None
    if flt is not None and args.get("cursor") and not charts:  # a chart has no pages
        try:
            position = cursors.decode(args["cursor"], scope_key=scope.key)
        except cursors.CursorError as exc:
            errors = {"cursor": str(exc)}
    view = PageView(flt or ActivityFilter(), errors, args)
    view.tenants = service.tenants_of(scope)
    choice_scope = view.flt.choice_scope(scope)
    view.staff = service.staff_choices(choice_scope)
    view.actions = service.distinct_values(choice_scope, "action")
    view.entity_types = service.distinct_values(choice_scope, "entity_type")
    if errors or flt is None:
        return view
    if not charts:
        page = service.page_events(scope, flt, position)
        view.rows, view.older, view.newer = page.rows, page.older, page.newer
        return view
    view.total, _ = service.count_events(scope, flt)
    names = {str(t.id): t.name for t in view.tenants}
    for by in charts:
        chart = activity_chart(scope, flt, by, labels=names)
        if chart is not None:
            view.charts.append(ChartView(CHART_TITLES[by], chart, layout(chart)))
    return view
