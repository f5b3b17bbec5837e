"""Clients and payers inside a tenant: payer rules checked before the tenant is called, audit after.

Every function takes the request's :class:`~hub.workspace.context.Workspace`; tenant errors escape
to :func:`~hub.workspace.context.tenant_required` (``ValidationFailed`` is for the caller to put
at the form's fields).  Audit details name ids, fields, ranks and statuses, never amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_login import current_user

from hub.audit.service import record as audit
from hub.extensions import db
from hub.workspace.context import Workspace
from tenant_connectors.base import (
    Authorization,
    Client,
    ClientPage,
    ClientPayer,
    ClientPayerChange,
    Distribution,
    NewClientPayer,
    Payer,
    PayerRank,
    PayerStatus,
    Permission,
    RemainderMove,
    StatusChange,
    StatusChangeRequest,
)
from tenant_connectors.payer_rules import (
    FieldErrors,
    PayerRuleError,
    RankedPayer,
    apply_moves,
    check_new_payer,
    check_payer_set,
    check_status_change,
    check_terms,
    plan_rank_insert,
)

CLIENTS_PER_PAGE = 25
USE_REMAINDER_ACTION = ('the client already has an active Remainder payer; use "Make this payer the Remainder '
                        'payer" to move it')
NEW_KEY = "__new__"


@dataclass(frozen=True, slots=True)
class ClientOverview:
    """A client with its payers (rank order) and their authorizations (None: not permitted)."""

    client: Client
    payers: tuple[ClientPayer, ...]
    authorizations: dict[str, list[Authorization]] | None


@dataclass(frozen=True, slots=True)
class RankMove:
    """One payer pushed down by an insert, for the confirmation step."""

    payer_name: str
    old: str
    new: str


def _audit(ws: Workspace, action: str, target_type: str, target_id: str, detail: dict[str, Any]) -> None:
    audit(action, actor=current_user._get_current_object(), tenant_id=ws.tenant.id, target_type=target_type,
          target_id=target_id, detail={"session_record_id": ws.record_id, **detail})
    db.session.commit()


def search_clients(ws: Workspace, search: str, page: int) -> ClientPage:
    """One page of the tenant's clients whose name or account number matches ``search``."""
    offset = (max(page, 1) - 1) * CLIENTS_PER_PAGE
    return ws.connector.list_clients(ws.session, search=search.strip()[:100] or None, offset=offset,
                                     limit=CLIENTS_PER_PAGE)


def client_overview(ws: Workspace, client_id: str) -> ClientOverview:
    """The client page's data; audited as ``client.viewed``."""
    client = ws.connector.get_client(ws.session, client_id)
    payers = ordered(ws.connector.list_client_payers(ws.session, client_id))
    authorizations = None
    if ws.allows(Permission.AUTHORIZATIONS_READ):
        authorizations = {}
        for item in ws.connector.list_authorizations(ws.session, client_id):
            authorizations.setdefault(item.client_payer_id, []).append(item)
    _audit(ws, "client.viewed", "client", client_id, {"client_id": client_id})
    return ClientOverview(client, payers, authorizations)


def ordered(payers: tuple[ClientPayer, ...]) -> tuple[ClientPayer, ...]:
    """Rank order, inactive payers last."""
    return tuple(sorted(payers, key=lambda p: (p.status is PayerStatus.INACTIVE, p.rank, p.client_payer_id)))


def payer_with_history(
    ws: Workspace, client_id: str, client_payer_id: str
) -> tuple[ClientPayer | None, tuple[StatusChange, ...]]:
    """One client payer and its status history."""
    return find_payer(ws, client_id, client_payer_id), ws.connector.status_history(ws.session, client_id,
                                                                                   client_payer_id)


def find_payer(ws: Workspace, client_id: str, client_payer_id: str) -> ClientPayer | None:
    """The client payer ``client_payer_id`` (None if the client has no such payer)."""
    payers = ws.connector.list_client_payers(ws.session, client_id)
    return next((p for p in payers if p.client_payer_id == client_payer_id), None)


def directory(ws: Workspace) -> tuple[Payer, ...]:
    """The tenant's active directory payers."""
    return tuple(p for p in ws.connector.list_payers(ws.session) if p.active)


def _ranked(payers: tuple[ClientPayer, ...]) -> list[RankedPayer]:
    return [RankedPayer(p.client_payer_id, int(p.rank), p.distribution, p.status) for p in payers]


def _hub_wording(errors: FieldErrors) -> FieldErrors:
    # the shared rules speak API ("POST /remainder"); the agent has a button for it instead
    return {name: [USE_REMAINDER_ACTION if "POST /remainder" in m else m for m in msgs]
            for name, msgs in errors.items()}


def check_new(payers: tuple[ClientPayer, ...], new: NewClientPayer) -> tuple[FieldErrors, list[RankMove]]:
    """Payer-rule errors of attaching ``new``, and the rank moves it would cause."""
    errors = check_new_payer(new)
    if new.distribution is Distribution.REMAINDER and any(p.is_remainder for p in payers):
        errors.setdefault("distribution", []).append(USE_REMAINDER_ACTION)
        return errors, []
    try:
        moves = plan_rank_insert(_ranked(payers), int(new.rank))
    except PayerRuleError as exc:
        return {**errors, **exc.fields}, []
    after = [*apply_moves(_ranked(payers), moves),
             RankedPayer(NEW_KEY, int(new.rank), new.distribution, PayerStatus.ACTIVE)]
    for name, msgs in _hub_wording(check_payer_set(after)).items():
        errors.setdefault(name, []).extend(msgs)
    names = {p.client_payer_id: p for p in payers}
    preview = [RankMove(names[key].payer_name, names[key].rank.label, PayerRank(rank).label)
               for key, rank in sorted(moves.items(), key=lambda kv: kv[1])]
    return errors, preview


def add_payer(ws: Workspace, client_id: str, new: NewClientPayer) -> ClientPayer:
    """Attach a directory payer (already checked by :func:`check_new`); audited."""
    added = ws.connector.add_client_payer(ws.session, client_id, new)
    _audit(ws, "client_payer.added", "client_payer", added.client_payer_id,
           {"client_id": client_id, "payer_id": new.payer_id, "rank": int(new.rank),
            "distribution": new.distribution.value})
    return added


def check_change(payers: tuple[ClientPayer, ...], current: ClientPayer, change: ClientPayerChange) -> FieldErrors:
    """Payer-rule errors of editing ``current`` as ``change`` says."""
    merged = replace(current, **{k: v for k, v in _changed(current, change).items()})
    errors = check_terms(merged.distribution, merged.amount, merged.week_start_day, merged.pay_start, merged.pay_end)
    if current.is_remainder and merged.distribution is not Distribution.REMAINDER:
        errors.setdefault("distribution", []).append(
            'this is the Remainder payer: make another payer the Remainder first (its "Make this payer the '
            'Remainder payer" action)')
    elif not current.is_remainder and merged.distribution is Distribution.REMAINDER:
        errors.setdefault("distribution", []).append(USE_REMAINDER_ACTION)
    if errors or merged.rank == current.rank or current.status is PayerStatus.INACTIVE:
        return errors
    try:
        moves = plan_rank_insert(_ranked(payers), int(merged.rank), moving_key=current.client_payer_id)
    except PayerRuleError as exc:
        return exc.fields
    moved = [RankedPayer(p.key, int(merged.rank), merged.distribution, p.status)
             if p.key == current.client_payer_id else p for p in apply_moves(_ranked(payers), moves)]
    return _hub_wording(check_payer_set(moved))


def _changed(current: ClientPayer, change: ClientPayerChange) -> dict[str, Any]:
    wanted = {"rank": change.rank, "distribution": change.distribution, "amount": change.amount,
              "pay_start": change.pay_start, "pay_end": change.pay_end, "week_start_day": change.week_start_day}
    return {k: v for k, v in wanted.items() if v is not None and getattr(current, k) != v}


def edit_change(current: ClientPayer, **values: Any) -> ClientPayerChange:
    """A change holding only the fields whose value differs from ``current``."""
    return ClientPayerChange(**{k: v for k, v in values.items() if getattr(current, k) != v})


def update_payer(ws: Workspace, client_id: str, current: ClientPayer, change: ClientPayerChange) -> ClientPayer:
    """Edit a client payer (already checked by :func:`check_change`); audited with the field names."""
    updated = ws.connector.update_client_payer(ws.session, client_id, current.client_payer_id, change)
    fields = sorted(k for k in _changed(current, change))
    _audit(ws, "client_payer.updated", "client_payer", current.client_payer_id,
           {"client_id": client_id, "fields": fields})
    return updated


def check_status(current: ClientPayer, request: StatusChangeRequest) -> FieldErrors:
    """Errors of a status change (note when leaving Active; the Remainder payer stays Active)."""
    return check_status_change(current.status, request.status, request.note, is_active_remainder=current.is_remainder)


def change_status(ws: Workspace, client_id: str, current: ClientPayer, request: StatusChangeRequest) -> ClientPayer:
    """Change a client payer's status; audited with old and new status (the note stays at the tenant)."""
    changed = ws.connector.change_client_payer_status(ws.session, client_id, current.client_payer_id, request)
    _audit(ws, "client_payer.status_changed", "client_payer", current.client_payer_id,
           {"client_id": client_id, "old_status": current.status.value, "new_status": request.status.value})
    return changed


def check_remainder_move(payers: tuple[ClientPayer, ...], target: ClientPayer, move: RemainderMove) -> FieldErrors:
    """Errors of making ``target`` the Remainder payer."""
    errors: FieldErrors = {}
    if target.is_remainder:
        errors.setdefault("previous_action", []).append("this payer already is the Remainder payer")
    if target.status is not PayerStatus.ACTIVE:
        errors.setdefault("previous_action", []).append("only an Active payer can become the Remainder payer")
    if not move.note.strip():
        errors.setdefault("note", []).append("A note is required.")
    if move.previous_distribution is not None:
        old = next((p for p in payers if p.is_remainder), None)
        terms = check_terms(move.previous_distribution, move.previous_amount, None,
                            old.pay_start if old else move.effective_date, None)
        for name, msgs in terms.items():
            errors.setdefault("previous_amount" if name == "amount" else "previous_distribution", []).extend(msgs)
    return errors


def move_remainder(ws: Workspace, client_id: str, target: ClientPayer, move: RemainderMove) -> tuple[ClientPayer, ...]:
    """Make ``target`` the Remainder payer in one tenant call; audited (no amounts)."""
    payers = ws.connector.list_client_payers(ws.session, client_id)
    previous = next((p for p in payers if p.is_remainder), None)
    result = ws.connector.move_remainder(ws.session, client_id, move)
    _audit(ws, "client_payer.remainder_moved", "client_payer", target.client_payer_id,
           {"client_id": client_id, "previous_client_payer_id": None if previous is None else previous.client_payer_id,
            "previous_action": "changed" if move.previous_distribution else move.previous_status.value})
    return ordered(result)
