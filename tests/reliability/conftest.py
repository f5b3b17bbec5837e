"""Reliability fixtures: the hub fixtures (both backends) and the sync world helpers, shared here."""

from __future__ import annotations

from tests.hub import conftest as hub_fixtures
from tests.hub.sync import conftest as sync_fixtures

# the hub fixtures (both backends, fresh database per test)
database_url = hub_fixtures.database_url
make_app = hub_fixtures.make_app
app = hub_fixtures.app
client = hub_fixtures.client
login_as = hub_fixtures.login_as
_reset_clock = hub_fixtures._reset_clock
# bulk-seeded sandboxes for the sync runs
seeded_sandbox = sync_fixtures.seeded_sandbox
