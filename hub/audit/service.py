"""Append to and verify the hub's hash-chained audit log.

:func:`record` adds the event to the *current* database session: it commits (or rolls back) with
the action it records, so there is never an action without its audit row.  Each hub has its own
chain (support actions go to ``system``); the chain head row is locked while appending so that
concurrent writers on PostgreSQL queue up instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select, update

from hub.audit.models import AuditChain, AuditEvent
from hub.dbtypes import utcnow
from hub.extensions import db

GENESIS_HASH = "0" * 64
SYSTEM_CHAIN = "system"

#: detail keys that must never be written, whatever a caller passes
_FORBIDDEN_DETAIL_KEYS = frozenset({"password", "secret", "token", "totp", "totp_code", "secret_sealed"})


def chain_key_for(hub_id: int | None) -> str:
    """The chain a hub's events go to."""
    return SYSTEM_CHAIN if hub_id is None else f"hub:{hub_id}"


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "chain_key": event.chain_key,
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "hub_id": event.hub_id,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "outcome": event.outcome,
        "tenant_id": event.tenant_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "address": event.address,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's canonical form, which includes the previous hash."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def _lock_chain(chain_key: str) -> AuditChain:
    if db.session.get_bind().dialect.name == "sqlite":
        # FOR UPDATE locks nothing on SQLite: a no-op write takes the database write lock first, so
        # the head read below cannot go stale before this transaction commits
        db.session.execute(update(AuditChain).where(AuditChain.chain_key == chain_key)
                           .values(last_seq=AuditChain.last_seq).execution_options(synchronize_session=False))
    stmt = (select(AuditChain).where(AuditChain.chain_key == chain_key).with_for_update()
            .execution_options(populate_existing=True))
    head = db.session.scalars(stmt).first()
    if head is not None:
        return head
    head = AuditChain(chain_key=chain_key, last_seq=0, last_hash=GENESIS_HASH)
    db.session.add(head)
    db.session.flush()
    return head


def _request_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def _clean_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    clean = dict(detail or {})
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(k.lower() for k in clean)
    if leaked:
        raise ValueError(f"audit detail may not carry secrets ({', '.join(sorted(leaked))})")
    return clean


def record(
    action: str,
    *,
    actor: Any = None,
    hub_id: int | None = None,
    tenant_id: int | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    outcome: str = "success",
    detail: Mapping[str, Any] | None = None,
    address: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the hub's chain inside the current transaction.

    :param actor: the acting :class:`~hub.accounts.models.User` (None for anonymous or CLI)
    :param hub_id: defaults to the actor's hub
    :param detail: secret-free structured facts; keys naming secrets are refused
    """
    if hub_id is None and actor is not None:
        hub_id = getattr(actor, "hub_id", None)
    event = AuditEvent(
        chain_key=chain_key_for(hub_id),
        occurred_at=utcnow(),
        hub_id=hub_id,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label or getattr(actor, "email", None),
        action=action,
        outcome=outcome,
        tenant_id=tenant_id,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        address=address if address is not None else _request_address(),
        detail=_clean_detail(detail),
    )
    head = _lock_chain(event.chain_key)
    event.seq = head.last_seq + 1
    event.prev_hash = head.last_hash
    event.hash = compute_hash(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first place a chain stops adding up."""

    chain_key: str
    seq: int
    event_id: int | None
    reason: str


def _walk(chain_key: str) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.chain_key == chain_key).order_by(AuditEvent.seq)
    # closed even when the caller stops early (a broken link): PostgreSQL runs this on a server-side cursor
    with db.session.scalars(stmt.execution_options(yield_per=1000)) as events:
        yield from events


def verify_chain(chain_key: str) -> BrokenLink | None:
    """Walk one chain from its start; None when every link and the head agree."""
    head = db.session.get(AuditChain, chain_key)
    expected_prev, expected_seq = GENESIS_HASH, 1
    beyond_head: int | None = None  # id of the first event the head does not cover
    for event in _walk(chain_key):
        if event.seq != expected_seq:
            reason = "missing event(s) before this one" if event.seq > expected_seq else "duplicate sequence"
            return BrokenLink(chain_key, expected_seq, event.id, reason)
        if event.prev_hash != expected_prev:
            return BrokenLink(chain_key, event.seq, event.id, "previous-hash link does not match")
        if compute_hash(event) != event.hash:
            return BrokenLink(chain_key, event.seq, event.id, "event content was altered")
        if head is not None and event.seq == head.last_seq + 1:
            beyond_head = event.id
        expected_prev, expected_seq = event.hash, expected_seq + 1
    last_seq = expected_seq - 1
    if head is None or (head.last_seq == last_seq and head.last_hash == expected_prev):
        return None
    if head.last_seq < last_seq:
        # a well-linked row appended without advancing the head: written outside record()
        return BrokenLink(chain_key, head.last_seq + 1, beyond_head, "event(s) beyond the chain head")
    return BrokenLink(chain_key, last_seq + 1, None, "newest event(s) missing or chain head altered")


def verify_all() -> list[BrokenLink]:
    """Verify every chain (those with a head and those with events)."""
    keys = set(db.session.scalars(select(AuditChain.chain_key)))
    keys.update(db.session.scalars(select(AuditEvent.chain_key).distinct()))
    return [broken for key in sorted(keys) if (broken := verify_chain(key)) is not None]
