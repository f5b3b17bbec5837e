"""Months of a tenant's Audit Report for the demo, shaped like real use.

Events cluster in working hours on weekdays, grow over the period and come from several staff
members (Standard users of the clinic) and from ACME Billing's Billing users acting for its agents
(proxy logins), so the activity chart and the tenant-admin review have something to show.  Rows are
written in time order, so the sandbox's audit ids ascend with time as a real report's do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tenant_connectors.sandbox.models import AuditRow, Company, User
from tenant_connectors.sandbox.seed_bulk import AUDIT_COLUMNS, _bulk_tuples, _driver_value

#: (Restricted user id, name) the proxy events act for: the demo's three agents
AGENTS = (("acme.alice", "Alice Archer"), ("acme.bob", "Bob Baker"), ("acme.dev", "Dev Patel"))
#: action -> relative frequency, for staff and for the billing company (which mostly reads and fixes payers)
STAFF_ACTIONS = {"login": 8, "view": 50, "update": 14, "create": 6, "status_change": 3, "logout": 7,
                 "login_failed": 2}
PROXY_ACTIONS = {"proxy_login": 8, "view": 40, "update": 18, "status_change": 4, "logout": 7, "login_failed": 1}
ENTITIES = ("client", "client", "client_payer", "authorization")
BROWSERS = (("Chrome", "Windows 10"), ("Edge", "Windows 11"), ("Firefox", "Ubuntu"), ("Safari", "macOS"))
#: actions about the session itself, which name no record
SESSION_ACTIONS = frozenset({"login", "proxy_login", "logout", "login_failed"})
#: share of a tenant's events that are ACME Billing working on its behalf
PROXY_SHARE = 0.35


def day_weights(days: int) -> list[float]:
    """Relative activity of each day: weekdays busy, weekends quiet, a slow growth, a month-end rush."""
    weights = []
    for day in range(days):
        weekday = day % 7  # the pattern's phase does not matter, only that weekends are quiet
        base = 0.12 if weekday >= 5 else 1.0
        growth = 0.6 + 0.8 * day / max(days - 1, 1)
        rush = 1.6 if day % 30 >= 26 else 1.0
        weights.append(base * growth * rush)
    return weights


def event_times(rng: random.Random, count: int, start: datetime, days: int) -> list[datetime]:
    """``count`` sorted times in working hours over ``days`` days from ``start``."""
    chosen = rng.choices(range(days), weights=day_weights(days), k=count)
    times = []
    for day in chosen:
        hour = min(max(rng.gauss(12.5, 2.6), 7.0), 19.5)
        times.append(start + timedelta(days=day, hours=hour, seconds=rng.randrange(60)))
    return sorted(times)


def add_history(
    db: Session,
    company: Company,
    number: int,
    staff: Sequence[User],
    client_ids: Sequence[int],
    count: int,
    end: datetime,
    rng: random.Random,
    days: int = 120,
) -> int:
    """Insert ``count`` audit rows for ``company`` ending before ``end``; returns how many."""
    if count <= 0:
        return 0
    sqlite = db.connection().dialect.name == "sqlite"
    start = end - timedelta(days=days)
    billing_users = (f"t{number:03d}-acme-full", f"t{number:03d}-acme-readonly")
    rows: list[tuple[Any, ...]] = []
    staff_actions, staff_weights = zip(*STAFF_ACTIONS.items(), strict=True)
    proxy_actions, proxy_weights = zip(*PROXY_ACTIONS.items(), strict=True)
    for when in event_times(rng, count, start, days):
        platform, os_name = rng.choice(BROWSERS)
        entity_id = str(rng.choice(client_ids)) if client_ids else None
        entity: str | None = rng.choice(ENTITIES)
        if rng.random() < PROXY_SHARE:
            action = rng.choices(proxy_actions, weights=proxy_weights)[0]
            entity, entity_id = (None, None) if action in SESSION_ACTIONS else (entity, entity_id)
            agent_id, agent_name = rng.choice(AGENTS)
            user_id = billing_users[0] if rng.random() < 0.8 else billing_users[1]
            rows.append((
                company.id, _driver_value(when, sqlite), action, entity, entity_id, user_id,
                "ACME Billing", "billing", agent_id, agent_name, "acme", "ACME Billing", _driver_value(True, sqlite),
                f"203.0.113.{10 + AGENTS.index((agent_id, agent_name))}", 40000 + rng.randrange(20000),
                platform, os_name,
            ))  # fmt: skip
        else:
            action = rng.choices(staff_actions, weights=staff_weights)[0]
            entity, entity_id = (None, None) if action in SESSION_ACTIONS else (entity, entity_id)
            person = rng.choice(staff)
            rows.append((
                company.id, _driver_value(when, sqlite), action, entity, entity_id, person.user_id,
                person.display_name, "standard", None, None, None, None, _driver_value(False, sqlite),
                f"10.{number % 256}.0.{10 + staff.index(person)}", 50000 + rng.randrange(10000), platform, os_name,
            ))  # fmt: skip
    _bulk_tuples(db, AuditRow, AUDIT_COLUMNS, rows)
    return len(rows)
