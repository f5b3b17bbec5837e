"""Tamper evidence of the hub audit log: every kind of tampering is named at its first broken link."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from hub.audit import service
from hub.audit.models import AuditChain, AuditEvent
from hub.extensions import db


@pytest.fixture
def chain(app):
    """Five committed events in hub 1's chain, plus one in another chain that must stay valid."""
    events = [service.record("tenant.updated", hub_id=1, tenant_id=7, detail={"n": n}) for n in range(5)]
    service.record("hub.created", hub_id=None, target_type="hub", target_id=2)
    db.session.commit()
    return [(e.id, e.seq) for e in events]


def _sql(statement: str, **params: object) -> None:
    db.session.execute(sa.text(statement), params)
    db.session.commit()
    db.session.expire_all()


def _only_broken() -> service.BrokenLink:
    broken = service.verify_all()
    assert len(broken) == 1, broken  # the other chain is unaffected
    assert broken[0].chain_key == "hub:1"
    return broken[0]


def test_untouched_chains_verify(chain) -> None:
    assert service.verify_all() == []
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.chain_key == "hub:1").order_by(AuditEvent.seq))
    hashes = [e.hash for e in events]
    assert len(set(hashes)) == 5


def test_records_join_the_callers_transaction(app) -> None:
    service.record("tenant.updated", hub_id=3)
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent)).first() is None
    assert service.verify_all() == []


def test_secret_detail_keys_are_refused(app) -> None:
    with pytest.raises(ValueError) as caught:
        service.record("credential.created", hub_id=1, detail={"secret": "hunter2-canary"})
    assert "hunter2-canary" not in str(caught.value)


def test_edited_row_is_named(chain) -> None:
    event_id, seq = chain[2]
    _sql("UPDATE audit_events SET actor_label = 'someone-else' WHERE id = :id", id=event_id)
    broken = _only_broken()
    assert (broken.seq, broken.event_id, broken.reason) == (seq, event_id, "event content was altered")


def test_edited_row_with_recomputed_hash_breaks_the_next_link(chain) -> None:
    event = db.session.get(AuditEvent, chain[1][0])
    event.outcome = "failure"
    event.hash = service.compute_hash(event)
    db.session.commit()
    broken = _only_broken()
    assert (broken.seq, broken.event_id) == (chain[2][1], chain[2][0])
    assert broken.reason == "previous-hash link does not match"


def test_deleted_middle_row_is_named(chain) -> None:
    _sql("DELETE FROM audit_events WHERE id = :id", id=chain[2][0])
    broken = _only_broken()
    assert broken.seq == chain[2][1] and broken.event_id == chain[3][0]
    assert broken.reason == "missing event(s) before this one"


def test_deleted_newest_row_is_named(chain) -> None:
    _sql("DELETE FROM audit_events WHERE id = :id", id=chain[4][0])
    broken = _only_broken()
    assert broken.seq == chain[4][1] and broken.event_id is None
    assert "newest" in broken.reason


def test_deleted_first_row_is_named(chain) -> None:
    _sql("DELETE FROM audit_events WHERE id = :id", id=chain[0][0])
    broken = _only_broken()
    assert broken.seq == 1 and broken.event_id == chain[1][0]


def test_inserted_row_is_named(chain) -> None:
    _sql(
        "INSERT INTO audit_events (chain_key, seq, occurred_at, action, outcome, detail, prev_hash, hash) "
        "VALUES ('hub:1', 6, :at, 'tenant.deleted', 'success', '{}', :prev, :hash)",
        at=db.session.get(AuditEvent, chain[4][0]).occurred_at, prev="f" * 64, hash="e" * 64,
    )
    inserted = db.session.scalars(select(AuditEvent.id).where(AuditEvent.seq == 6)).one()
    broken = _only_broken()
    assert (broken.seq, broken.event_id) == (6, inserted)


def test_forged_row_with_correct_link_is_caught_by_the_head(chain) -> None:
    last = db.session.get(AuditEvent, chain[4][0])
    forged = AuditEvent(chain_key="hub:1", seq=6, occurred_at=last.occurred_at, action="tenant.deleted",
                        outcome="success", detail={}, prev_hash=last.hash, hash="")
    forged.hash = service.compute_hash(forged)
    db.session.add(forged)
    db.session.commit()  # the chain head was not advanced: appended outside record()
    broken = _only_broken()
    assert (broken.seq, broken.event_id) == (6, forged.id) and "head" in broken.reason


def test_reordered_rows_are_named(chain) -> None:
    (id_a, seq_a), (id_b, seq_b) = chain[1], chain[3]
    _sql("UPDATE audit_events SET seq = -1 WHERE id = :id", id=id_a)
    _sql("UPDATE audit_events SET seq = :s WHERE id = :id", s=seq_a, id=id_b)
    _sql("UPDATE audit_events SET seq = :s WHERE id = :id", s=seq_b, id=id_a)
    broken = _only_broken()
    assert broken.seq == seq_a and broken.event_id == id_b


def test_truncated_chain_with_reset_head_is_named(chain) -> None:
    _sql("DELETE FROM audit_events WHERE chain_key = 'hub:1'")
    broken = _only_broken()
    assert broken.seq == 1 and "head" in broken.reason


def test_head_row_is_locked_per_chain(chain) -> None:
    head = db.session.get(AuditChain, "hub:1")
    assert head.last_seq == 5
    assert head.last_hash == db.session.get(AuditEvent, chain[4][0]).hash
