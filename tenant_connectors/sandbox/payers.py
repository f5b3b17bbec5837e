"""Client payer changes of the sandbox tenant, enforcing :mod:`tenant_connectors.payer_rules`.

Every change computes the client's whole payer set as it would be afterwards, checks it with
:func:`~tenant_connectors.payer_rules.check_payer_set`, and only then writes - inside the call's
single transaction, so no other caller ever sees an intermediate state (two Remainders, none, or
duplicate ranks).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_connectors.base import Distribution, NewClientPayer, PayerStatus, RemainderMove, StatusChangeRequest
from tenant_connectors.payer_rules import (
    FieldErrors,
    PayerRuleError,
    RankedPayer,
    apply_moves,
    check_payer_set,
    check_status_change,
    check_terms,
    format_amount,
    plan_rank_insert,
)
from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.errors import not_found, validation_failed
from tenant_connectors.sandbox.models import Client, ClientPayer, Company, Payer, StatusHistory
from tenant_connectors.sandbox.parsing import Fields

NEW = "new"


def get_client(db: Session, company: Company, client_id: str) -> Client:
    """The company's client ``client_id`` or 404."""
    client = db.get(Client, int(client_id)) if client_id.isdigit() and len(client_id) < 18 else None
    if client is None or client.company_id != company.id:
        raise not_found("client")
    return client


def client_payers(db: Session, client: Client) -> list[ClientPayer]:
    """Every payer of ``client`` in rank order (inactive ones after the others of the same rank)."""
    rows = db.scalars(select(ClientPayer).where(ClientPayer.client_id == client.id))
    return sorted(rows, key=lambda cp: (cp.rank, cp.status == PayerStatus.INACTIVE, cp.id))


def get_client_payer(db: Session, client: Client, client_payer_id: str) -> ClientPayer:
    """The client's payer ``client_payer_id`` or 404."""
    ok = client_payer_id.isdigit() and len(client_payer_id) < 18
    cp = db.get(ClientPayer, int(client_payer_id)) if ok else None
    if cp is None or cp.client_id != client.id:
        raise not_found("client payer")
    return cp


def payer_names(db: Session, company: Company) -> dict[int, str]:
    """Directory payer names by id."""
    return {p.id: p.name for p in db.scalars(select(Payer).where(Payer.company_id == company.id))}


def _ranked(cp: ClientPayer) -> RankedPayer:
    return RankedPayer(str(cp.id), cp.rank, Distribution(cp.distribution), PayerStatus(cp.status))


def _check(final: list[RankedPayer], extra: FieldErrors | None = None) -> None:
    errors = dict(extra or {})
    for name, messages in check_payer_set(final).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise validation_failed(errors, "the change breaks a payer rule")


def _history(db: Session, cp: ClientPayer, old: str | None, new: str, when: date, note: str, who: str) -> None:
    db.add(
        StatusHistory(
            client_payer_id=cp.id,
            old_status=old,
            new_status=new,
            effective_date=when,
            note=note,
            changed_by=who,
            changed_at=clock.now(),
        )
    )


def _directory_payer(db: Session, company: Company, payer_id: str, field: str) -> Payer:
    payer = db.get(Payer, int(payer_id)) if payer_id.isdigit() and len(payer_id) < 18 else None
    if payer is None or payer.company_id != company.id:
        raise validation_failed({field: ["no such payer in the directory"]})
    if not payer.active:
        raise validation_failed({field: ["the directory payer is inactive"]})
    return payer


def _insert(db: Session, client: Client, new: NewClientPayer, rank: int, who: str) -> ClientPayer:
    cp = ClientPayer(
        client_id=client.id,
        payer_id=int(new.payer_id),
        rank=rank,
        distribution=new.distribution.value,
        amount=format_amount(new.amount) if new.amount is not None else None,
        week_start_day=new.week_start_day,
        pay_start=new.pay_start,
        pay_end=new.pay_end,
        status=PayerStatus.ACTIVE.value,
    )
    db.add(cp)
    db.flush()
    _history(db, cp, None, PayerStatus.ACTIVE.value, new.pay_start, "added", who)
    return cp


def _plan(payers: list[RankedPayer], rank: int, moving_key: str | None = None) -> dict[str, int]:
    try:
        return plan_rank_insert(payers, rank, moving_key=moving_key)
    except PayerRuleError as exc:
        raise validation_failed(exc.fields, "the change breaks a payer rule") from exc


def _apply_ranks(rows: list[ClientPayer], moves: dict[str, int]) -> None:
    for cp in rows:
        if str(cp.id) in moves:
            cp.rank = moves[str(cp.id)]


def add_payer(db: Session, company: Company, client: Client, new: NewClientPayer, who: str) -> ClientPayer:
    """Attach a directory payer; a taken rank pushes the payers there down."""
    errors = check_terms(new.distribution, new.amount, new.week_start_day, new.pay_start, new.pay_end)
    if errors:
        raise validation_failed(errors)
    _directory_payer(db, company, new.payer_id, "payer_id")
    rows = client_payers(db, client)
    ranked = [_ranked(cp) for cp in rows]
    if new.distribution is Distribution.REMAINDER and any(p.is_active_remainder for p in ranked):
        raise validation_failed(
            {"distribution": ["the client already has an active Remainder payer; move it with POST /remainder"]}
        )
    moves = _plan(ranked, new.rank)
    _check([*apply_moves(ranked, moves), RankedPayer(NEW, new.rank, new.distribution, PayerStatus.ACTIVE)])
    _apply_ranks(rows, moves)
    return _insert(db, client, new, new.rank, who)


def update_payer(db: Session, client: Client, cp: ClientPayer, data: dict[str, Any]) -> ClientPayer:
    """Apply a ``ClientPayerChange`` (only keys present change; ``pay_end: null`` clears it)."""
    f = Fields(data)
    rank = f.rank(required=False)
    distribution = f.enum("distribution", Distribution, required=False)
    amount = f.amount("amount")
    pay_start = f.day("pay_start", required=False)
    pay_end = f.day("pay_end", required=False)
    week_start_day = f.integer("week_start_day")
    f.raise_if_failed()
    old_distribution = Distribution(cp.distribution)
    is_active_remainder = old_distribution is Distribution.REMAINDER and cp.status == PayerStatus.ACTIVE
    if is_active_remainder and distribution not in (None, Distribution.REMAINDER):
        raise validation_failed(
            {"distribution": ["the Remainder payer changes distribution only through POST /remainder"]}
        )
    new_distribution = distribution or old_distribution
    if amount is not None:
        new_amount: Decimal | None = amount
    elif new_distribution is Distribution.REMAINDER:
        new_amount = None
    else:
        new_amount = Decimal(cp.amount) if cp.amount is not None else None
    new_week = week_start_day if f.has("week_start_day") else cp.week_start_day
    if new_distribution is not Distribution.WEEKLY and not f.has("week_start_day"):
        new_week = None
    new_start = pay_start or cp.pay_start
    new_end = pay_end if f.has("pay_end") else (None if "pay_end" in data else cp.pay_end)
    errors = check_terms(new_distribution, new_amount, new_week, new_start, new_end)
    if errors:
        raise validation_failed(errors)
    rows = client_payers(db, client)
    ranked = [_ranked(r) for r in rows]
    new_rank = int(rank) if rank is not None else cp.rank
    moves: dict[str, int] = {}
    if new_rank != cp.rank and cp.status != PayerStatus.INACTIVE:
        moves = _plan(ranked, new_rank, moving_key=str(cp.id))
    moves[str(cp.id)] = new_rank
    final = [
        RankedPayer(p.key, p.rank, new_distribution, p.status) if p.key == str(cp.id) else p
        for p in apply_moves(ranked, moves)
    ]
    _check(final)
    _apply_ranks([r for r in rows if r.id != cp.id], moves)
    cp.rank = new_rank
    cp.distribution = new_distribution.value
    cp.amount = format_amount(new_amount) if new_amount is not None else None
    cp.week_start_day = new_week
    cp.pay_start, cp.pay_end = new_start, new_end
    db.flush()
    return cp


def change_status(db: Session, client: Client, cp: ClientPayer, req: StatusChangeRequest, who: str) -> ClientPayer:
    """Move a client payer to another status, keeping the history."""
    rows = client_payers(db, client)
    current = _ranked(cp)
    errors = check_status_change(current.status, req.status, req.note, is_active_remainder=current.is_active_remainder)
    if errors:
        raise validation_failed(errors)
    final = [
        RankedPayer(p.key, p.rank, p.distribution, req.status) if p.key == current.key else p
        for p in map(_ranked, rows)
    ]
    _check(final)
    _history(db, cp, cp.status, req.status.value, req.effective_date, req.note, who)
    cp.status = req.status.value
    db.flush()
    return cp


def move_remainder(db: Session, company: Company, client: Client, move: RemainderMove, who: str) -> list[ClientPayer]:
    """Make another payer the Remainder payer in one step (one transaction)."""
    rows = client_payers(db, client)
    previous = next(
        (r for r in rows if r.distribution == Distribution.REMAINDER and r.status == PayerStatus.ACTIVE), None
    )
    errors: FieldErrors = {}
    keep_active = move.previous_distribution is not None
    if keep_active:
        assert move.previous_distribution is not None
        if move.previous_distribution in (Distribution.REMAINDER, Distribution.WEEKLY):
            errors["previous_distribution"] = ["must be a distribution other than Remainder and Weekly"]
        elif previous is not None:
            for name, msgs in check_terms(
                move.previous_distribution, move.previous_amount, None, previous.pay_start, previous.pay_end
            ).items():
                errors["previous_amount" if name == "amount" else name] = msgs
    elif move.previous_status is PayerStatus.ACTIVE:
        errors["previous_status"] = ["give previous_distribution to keep the old Remainder payer active"]
    target: ClientPayer | None = None
    if move.client_payer_id is not None:
        target = get_client_payer(db, client, move.client_payer_id)
        if previous is not None and target.id == previous.id:
            errors["client_payer_id"] = ["this payer already is the Remainder payer"]
    else:
        assert move.new_payer is not None
        if move.new_payer.distribution is not Distribution.REMAINDER:
            errors["new_payer.distribution"] = ["the new payer's distribution must be remainder"]
        if move.new_payer.amount is not None:
            errors["new_payer.amount"] = ["a Remainder payer takes no amount"]
        _directory_payer(db, company, move.new_payer.payer_id, "new_payer.payer_id")
    if errors:
        raise validation_failed(errors)
    # the would-be state: previous changed, target made the active Remainder (or inserted)
    prev_status = PayerStatus.ACTIVE if keep_active else move.previous_status
    ranked: list[RankedPayer] = []
    for r in rows:
        p = _ranked(r)
        if previous is not None and r.id == previous.id:
            p = RankedPayer(p.key, p.rank, move.previous_distribution or p.distribution, prev_status)
        if target is not None and r.id == target.id:
            p = RankedPayer(p.key, p.rank, Distribution.REMAINDER, PayerStatus.ACTIVE)
        ranked.append(p)
    moves: dict[str, int] = {}
    if move.new_payer is not None:
        moves = _plan(ranked, move.new_payer.rank)
        ranked = [
            *apply_moves(ranked, moves),
            RankedPayer(NEW, move.new_payer.rank, Distribution.REMAINDER, PayerStatus.ACTIVE),
        ]
    _check(ranked)
    if previous is not None:
        if keep_active:
            assert move.previous_distribution is not None and move.previous_amount is not None
            previous.distribution = move.previous_distribution.value
            previous.amount = format_amount(move.previous_amount)
        else:
            _history(db, previous, previous.status, prev_status.value, move.effective_date, move.note, who)
            previous.status = prev_status.value
    if target is not None:
        if target.status != PayerStatus.ACTIVE:
            _history(db, target, target.status, PayerStatus.ACTIVE.value, move.effective_date, move.note, who)
        target.distribution, target.amount, target.week_start_day = Distribution.REMAINDER.value, None, None
        target.status = PayerStatus.ACTIVE.value
    _apply_ranks(rows, moves)
    if move.new_payer is not None:
        _insert(db, client, move.new_payer, move.new_payer.rank, who)
    db.flush()
    return client_payers(db, client)
