"""``flask hub sync`` and ``flask hub sync-account set``, and the ``--forever`` worker loop."""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import select

from hub.extensions import db
from hub.sync.models import SyncAccount, SyncState
from hub.sync.worker import run_forever
from tests import factories
from tests.hub.sync.conftest import SyncWorld, stored_event_ids


def test_sync_command_prints_a_summary_table(sync_world: SyncWorld) -> None:
    sync_world.server.set_faults("tenant-003", error_rate=1.0)
    result = current_app.test_cli_runner().invoke(args=["hub", "sync", "--concurrency", "3"])

    assert result.exit_code == 1, result.output  # a tenant failed
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("tenant"))
    table = lines[header + 2 : header + 2 + len(sync_world.slugs)]
    assert [line.split()[0] for line in table] == sync_world.slugs
    row = {line.split()[0]: line.split() for line in table}
    assert row["tenant-001"][2:4] == ["ok", "122"]
    assert row["tenant-003"][2] == "failed" and "tenant_server_error" in " ".join(row["tenant-003"])
    assert "6 tenant(s), 610 new event(s), 1 failed" in result.output


def test_sync_account_set_prompts_for_the_password(sync_world: SyncWorld) -> None:
    hub = sync_world.tenants["tenant-001"].hub
    tenant = factories.make_tenant(hub, base_url=sync_world.server.tenant_url("tenant-006"))
    credential = factories.make_credential(tenant, "Full", remote_user_id="t006-acme-full", secret="full-Secret1!")
    db.session.commit()
    runner = current_app.test_cli_runner()
    result = runner.invoke(
        args=["hub", "sync-account", "set", "--tenant", str(tenant.id), "--credential", str(credential.id),
              "--restricted-user", "acme.alice"],
        input="alice-Passw0rd!\nalice-Passw0rd!\n",
    )
    assert result.exit_code == 0, result.output
    assert "alice-Passw0rd!" not in result.output
    db.session.expire_all()
    account = db.session.scalars(select(SyncAccount).where(SyncAccount.tenant_id == tenant.id)).one()
    assert account.restricted_user_id == "acme.alice"

    other = sync_world.tenants["tenant-002"]
    refused = runner.invoke(args=["hub", "sync-account", "set", "--tenant", str(other.id), "--credential",
                                  str(credential.id), "--restricted-user", "acme.alice"], input="x\nx\n")
    assert refused.exit_code != 0 and "no such Billing credential" in refused.output


def test_run_forever_stops_on_request_and_releases_leases(sync_world: SyncWorld) -> None:
    app = current_app._get_current_object()
    stop = threading.Event()
    passes: list[int] = []
    worker = threading.Thread(
        target=lambda: passes.append(run_forever(app, interval=0.2, concurrency=2, stop_event=stop,
                                                 worker_id="loop-worker")),
    )
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(
        len(stored_event_ids(t.id)) >= 122 for t in sync_world.tenants.values()
    ):
        time.sleep(0.2)
    stop.set()
    worker.join(timeout=60)
    assert not worker.is_alive() and passes and passes[0] >= 1
    db.session.expire_all()
    assert all(s.lease_owner is None for s in db.session.scalars(select(SyncState)))
    for slug in sync_world.slugs:
        sync_world.assert_exact(slug)
