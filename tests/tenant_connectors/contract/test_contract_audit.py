"""The tenant's Audit Report: both identities on every third-party call, gap-free cursor paging."""

from __future__ import annotations

import threading

import pytest

from tenant_connectors.base import AuditAction, AuditEvent, AuthenticationFailed, TenantConnector, TenantSession

from .helpers import ALICE, GOOD_THERAPY, GT_FULL, HUB_CLIENT, client_id, open_session


def _read_all(connector: TenantConnector, session: TenantSession, limit: int = 1000) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    cursor: str | None = None
    while True:
        page = connector.read_audit(session, cursor=cursor, limit=limit)
        events.extend(page.items)
        cursor = page.next_cursor or cursor
        if not page.has_more:
            return events


def test_third_party_calls_carry_both_identities(connector):
    session = open_session(connector, GT_FULL, ALICE)
    rivera = client_id(connector, session, "Rivera")
    connector.get_client(session, rivera)
    connector.list_client_payers(session, rivera)

    events = _read_all(connector, session)
    proxy_logins = [e for e in events if e.action == AuditAction.PROXY_LOGIN]
    assert len(proxy_logins) == 1
    login = proxy_logins[0]
    assert login.proxy is True
    assert login.platform == HUB_CLIENT.platform and login.os == HUB_CLIENT.os
    after_login = events[events.index(login) :]
    ours = [e for e in after_login if e.user_id == "gt-acme-full"]
    assert [e.action for e in ours].count(AuditAction.VIEW) >= 3  # search, client, payers
    assert any(e.entity_id == rivera for e in ours)
    for event in ours:
        assert event.on_behalf_of_user_id == "acme.alice", event.action
        assert event.on_behalf_of_name
        assert event.billing_company is not None and event.billing_company.name == "ACME Billing"
        assert event.occurred_at.tzinfo is not None
        assert event.ip_address


def test_failed_logins_are_audited(connector):
    with pytest.raises(AuthenticationFailed):
        connector.begin_login(GT_FULL[0], "wrong-password-1")
    session = open_session(connector, GT_FULL, ALICE)
    failed = [e for e in _read_all(connector, session) if e.action == AuditAction.LOGIN_FAILED]
    assert any(e.user_id == "gt-acme-full" for e in failed)


def test_cursor_paging_has_no_gaps_or_duplicates_under_concurrent_writes(connector_factory, sandbox):
    reader = connector_factory(GOOD_THERAPY)
    worker = connector_factory(GOOD_THERAPY)
    session = open_session(reader, GT_FULL, ALICE)
    worker_session = open_session(worker, GT_FULL, ALICE)
    sandbox.add_audit_noise(GOOD_THERAPY, 40)
    before = {e.event_id for e in _read_all(reader, session)}
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_writing(write) -> None:
        try:
            while not stop.is_set():
                write()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [
        threading.Thread(target=keep_writing, args=(lambda: sandbox.add_audit_noise(GOOD_THERAPY, 3),)),
        threading.Thread(target=keep_writing, args=(lambda: worker.list_payers(worker_session),)),
    ]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    try:
        while True:
            page = reader.read_audit(session, cursor=cursor, limit=7)
            seen.extend(e.event_id for e in page.items)
            cursor = page.next_cursor or cursor
            pages += 1
            if pages == 40:
                stop.set()
                for thread in threads:
                    thread.join(timeout=10)
            if stop.is_set() and not page.has_more:
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert not failures, failures
    assert len(seen) == len(set(seen)), "a row was returned twice"
    held = [e.event_id for e in _read_all(reader, session)]
    # everything the tenant holds up to where paging ended was seen, in order, nothing skipped
    assert held[: len(seen)] == seen
    # rows really were added while paging: beyond the reader's own ~40 "view" rows, others wrote too
    added_while_paging = [event_id for event_id in seen if event_id not in before]
    assert len(added_while_paging) >= 40 + 10
