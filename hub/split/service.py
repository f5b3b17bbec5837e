"""Split preview service: fetch the client's payers from the tenant, run the engine, audit, shape the bar.

The arithmetic lives in :mod:`tenant_connectors.split` (shared with the sandbox tenant); this
module only fetches, records ``split.previewed`` (tenant and client ids, never an amount) and turns
the result into what the page draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from hub.audit.service import record as audit_record
from hub.extensions import db
from tenant_connectors.base import Client
from tenant_connectors.split import AmbiguousRemainderError, Invoice, SplitResult, split_invoice

if TYPE_CHECKING:
    from hub.workspace.context import Workspace

#: SVG user units across the bar; segment edges are whole units so the segments tile it exactly
BAR_UNITS = 1000
#: fill colours by billing position (Primary first); readable on white, distinct side by side
PALETTE = ("#2b6cb0", "#2f855a", "#b7791f", "#6b46c1", "#c05621", "#2c7a7b")
UNASSIGNED_FILL = "#c53030"
AMBIGUOUS_REMAINDER = (
    "This client has more than one active Remainder payer, so nobody can say who takes the rest. "
    "Keep exactly one active Remainder payer, then preview again."
)


@dataclass(frozen=True, slots=True)
class BarSegment:
    """One payer's (or the unassigned) share as a rectangle of the bar."""

    label: str
    x: int
    width: int
    fill: str
    #: share of the total in percent, one decimal ("45.0")
    percent: str


@dataclass(frozen=True, slots=True)
class SplitPreview:
    """What the page shows after a submitted invoice."""

    result: SplitResult | None
    segments: tuple[BarSegment, ...] = ()
    #: the colour of each line of ``result.portions`` (the table's swatches match the bar)
    fills: tuple[str, ...] = ()
    unassigned_fill: str = UNASSIGNED_FILL
    #: a problem with the client's payers that stops the split (shown instead of the table)
    problem: str | None = None


def load_client(workspace: Workspace, client_id: str) -> Client:
    """The client the page is about (the tenant answers NotFound for a client it does not show)."""
    return workspace.connector.get_client(workspace.session, client_id)


def preview_split(workspace: Workspace, client_id: str, invoice: Invoice, *, actor: Any) -> SplitPreview:
    """Split ``invoice`` among the client's current payers and record ``split.previewed``.

    Tenant errors propagate to the workspace's handler (clear page, tenant health updated).
    """
    payers = workspace.connector.list_client_payers(workspace.session, client_id)
    try:
        result = split_invoice(invoice, payers)
    except AmbiguousRemainderError:
        _audit(workspace, client_id, actor, outcome="failure", reason="ambiguous_remainder")
        return SplitPreview(result=None, problem=AMBIGUOUS_REMAINDER)
    _audit(workspace, client_id, actor, outcome="success", reason=None)
    fills = tuple(fill_for(i) for i in range(len(result.portions)))
    return SplitPreview(result=result, segments=bar_segments(result), fills=fills)


def _audit(workspace: Workspace, client_id: str, actor: Any, *, outcome: str, reason: str | None) -> None:
    # ids only: the invoice and the portions are payer amounts, which the hub log never carries
    audit_record(
        "split.previewed",
        actor=actor,
        tenant_id=workspace.tenant.id,
        target_type="client",
        target_id=client_id,
        outcome=outcome,
        detail={"reason": reason} if reason else None,
    )
    db.session.commit()


def fill_for(position: int) -> str:
    """The colour of the payer at ``position`` in billing order."""
    return PALETTE[position % len(PALETTE)]


def _percent(part: Decimal, total: Decimal) -> str:
    return f"{(part * 100 / total).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"


def bar_segments(result: SplitResult) -> tuple[BarSegment, ...]:
    """Rectangles for every non-zero share, left to right in billing order (none for a zero total).

    Edges are rounded from the running sum rather than each width on its own, so the segments
    always tile the bar exactly with no gap or overlap.
    """
    total = result.invoice.total
    if total <= 0:
        return ()
    shares = [(line.payer.payer_name, line.portion, fill_for(i))
              for i, line in enumerate(result.portions)]
    shares.append(("Unassigned", result.unassigned, UNASSIGNED_FILL))
    segments: list[BarSegment] = []
    running = Decimal(0)
    for label, amount, fill in shares:
        if amount <= 0:
            continue
        left = _edge(running, total)
        running += amount
        right = _edge(running, total)
        segments.append(BarSegment(label, left, right - left, fill, _percent(amount, total)))
    return tuple(segments)


def _edge(amount: Decimal, total: Decimal) -> int:
    return int((amount * BAR_UNITS / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))
