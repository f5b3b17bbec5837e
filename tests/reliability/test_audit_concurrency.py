"""Concurrent requests that each append to the hub audit chain never fork it (found by the soak).

On SQLite ``SELECT ... FOR UPDATE`` locks nothing, so two requests could read the same chain head,
and the second one's insert failed on the unique ``(chain_key, seq)`` key: a 500 for a page view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from hub.audit.service import record, verify_all
from hub.extensions import db
from tests import factories

THREADS, EACH = 8, 15


def test_concurrent_audit_writers_queue_up_on_one_chain(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    with app.app_context():
        hub_id = factories.make_hub().id
        record("test.start", hub_id=hub_id)  # the chain head exists, as after hub.created
        db.session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                for i in range(EACH):
                    # a read first, like a request that looks something up before it records
                    db.session.execute(db.select(db.func.count()).select_from(db.metadata.tables["hubs"]))
                    record("test.concurrent", hub_id=hub_id, target_type="writer", target_id=f"{n}-{i}")
                    db.session.commit()
            except BaseException as exc:
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, f"{len(errors)} writer(s) failed, first: {errors[0]!r}"
    with app.app_context():
        from hub.audit.models import AuditEvent

        count = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "test.concurrent"))
        assert count == THREADS * EACH
        assert verify_all() == []
