"""Soak: tenants flap between healthy, slow, erroring and malformed while agents work and workers sync.

Everything runs on loopback in this process: a sandbox tenant server, the hub served by a threaded
werkzeug server, simulated agents (threads, each with its own hub session over real HTTP) and sync
workers (``run_forever`` threads, each on its own app object like separate processes).  A controller
thread re-draws every tenant's faults every few seconds from a seeded RNG.  At the end the faults
are cleared, one clean sync pass runs, and the run checks: no hub-made 5xx (every status counted),
nothing lost and nothing duplicated (the hub's events against the tenant's audit report read
through the connector).  Exit status 0 when every check holds.

    python bench/soak.py                  # 5 minutes
    python bench/soak.py --quick          # about 45 seconds (what the test runs)
    python bench/soak.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_CONFIG, scratch_database
from hub import create_app
from hub.accounts.models import Role
from hub.accounts.service import create_user
from hub.demo.check import CheckFailed, csrf_token
from hub.extensions import db
from hub.sync.accounts import set_sync_account
from hub.sync.models import SyncState, TenantAuditEvent
from hub.sync.service import SYNC_CLIENT
from hub.sync.worker import run_forever, sync_pass
from hub.tenants import service as tenants_service
from hub.tenants.connectors import close_connectors
from hub.tenants.models import PermissionLevel
from hub.workspace.errors import GATEWAY_MESSAGES
from tenant_connectors.base import ClientInfo, SecondaryChallenge, Timeouts
from tenant_connectors.http import HttpTenantConnector
from tenant_connectors.sandbox.seed_bulk import FULL_PASSWORD, seed_tenants
from tenant_connectors.sandbox.testing import SandboxServer

RESTRICTED = ("acme.alice", "alice-Passw0rd!")
PASSWORD = "soak-agent-Passw0rd-1"
READ_TIMEOUT = 1.0
TIMEOUTS = {"TENANT_CONNECT_TIMEOUT": 1.0, "TENANT_READ_TIMEOUT": READ_TIMEOUT, "TENANT_TOTAL_TIMEOUT": 3.0}
HUB_CONFIG = {
    **BENCH_CONFIG,  # throw-away keys, cheap password hashing
    "SYNC_MIN_INTERVAL_SECONDS": 1, "SYNC_BACKOFF_BASE_SECONDS": 1, "SYNC_BACKOFF_CAP_SECONDS": 4,
    **TIMEOUTS,
}
VERIFY_PLATFORM = "soak verification read"
#: the hub answers a tenant's own failure with these on pages that call the tenant (by design)
GATEWAY = {502, 503, 504}
MODES = ("healthy", "slow", "erroring", "malformed")


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log."""


@dataclass
class Tally:
    """What the agents saw: status codes per route kind, problems, journeys."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    journeys: int = 0
    entered: int = 0

    def see(self, kind: str, response: httpx.Response) -> None:
        """Count ``response`` and note it when the hub itself failed."""
        body = response.text
        with self.lock:
            self.statuses[(kind, response.status_code)] += 1
            gateway_ok = response.status_code in GATEWAY and kind.startswith("tenant:")
            if response.status_code >= 500 and not gateway_ok:
                self.problems.append(f"{response.status_code} on {response.request.method} {response.url.path}")
            if gateway_ok and not any(reason in html.unescape(body) for reason in GATEWAY_MESSAGES):
                # a tenant's failure must reach the agent as the typed reason, not a bare error page
                self.problems.append(f"{response.status_code} without the tenant's reason on {response.url.path}")
            if "Traceback" in body:
                self.problems.append(f"traceback in {response.url.path}")

    def fail(self, message: str) -> None:
        with self.lock:
            self.problems.append(message)


class Agent(threading.Thread):
    """One simulated agent with its own hub session, working until ``deadline``."""

    def __init__(self, hub_url: str, email: str, tenant_ids: list[int], tally: Tally, seed: int, deadline: float):
        super().__init__(name=f"agent-{email}", daemon=True)
        self.http = httpx.Client(base_url=hub_url, timeout=30.0, follow_redirects=False,
                                 headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) soak Chrome/120"})
        self.email, self.tenant_ids, self.tally, self.deadline = email, tenant_ids, tally, deadline
        self.rng = random.Random(seed)

    def get(self, kind: str, url: str, **params: Any) -> httpx.Response:
        response = self.http.get(url, params=params or None)
        self.tally.see(kind, response)
        return response

    def post(self, kind: str, url: str, page: str, data: dict[str, str]) -> httpx.Response:
        response = self.http.post(url, data={"csrf_token": csrf_token(page), **data})
        self.tally.see(kind, response)
        return response

    def run(self) -> None:
        try:
            page = self.get("login", "/login")
            done = self.post("login", "/login", page.text, {"email": self.email, "password": PASSWORD})
            if done.status_code != 302:
                self.tally.fail(f"{self.email} could not log in ({done.status_code})")
                return
            while time.monotonic() < self.deadline:
                self.journey()
                with self.tally.lock:
                    self.tally.journeys += 1
        except (httpx.HTTPError, LookupError, CheckFailed) as exc:  # CheckFailed: a page without its form
            self.tally.fail(f"{self.email}: {type(exc).__name__}: {exc}")
        finally:
            self.http.close()

    def journey(self) -> None:
        """Dashboard, enter a tenant through the secondary prompt, clients, payer, split, activity, leave."""
        rng = self.rng
        dashboard = self.get("dashboard", "/tenants", **rng.choice([{}, {"q": "Tenant"}, {"health": "healthy"}]))
        tid = rng.choice(self.tenant_ids)
        base = f"/tenants/{tid}"
        first = self.post("tenant:enter", f"{base}/enter", dashboard.text, {})
        if first.status_code == 302 and first.headers["location"].endswith("/secondary"):
            prompt = self.get("tenant:secondary", f"{base}/secondary")
            if prompt.status_code == 200 and "csrf_token" in prompt.text:
                first = self.post("tenant:secondary", f"{base}/secondary", prompt.text,
                                  {"username": RESTRICTED[0], "password": RESTRICTED[1]})
        if first.status_code == 302 and first.headers["location"].endswith("/clients"):
            with self.tally.lock:
                self.tally.entered += 1
            clients = self.get("tenant:clients", f"{base}/clients")
            links = re.findall(rf'href="({base}/clients/[^"/?]+)"', clients.text)
            if links:
                client = self.get("tenant:client", rng.choice(links))
                payers = re.findall(r'href="([^"]+/payers/\d+)"', client.text)
                if payers:
                    self.get("tenant:payer", rng.choice(payers))
                if client.status_code == 200 and "/split" in client.text:
                    split = self.get("tenant:split", f"{client.url.path}/split")
                    if split.status_code == 200:
                        self.post("tenant:split", f"{client.url.path}/split", split.text, {
                            "service_start": "2026-02-01", "service_end": "2026-02-28",
                            "visits": str(rng.randint(0, 12)), "total": f"{rng.randint(0, 500_000) / 100:.2f}"})
            back = self.get("dashboard", "/tenants")
            self.post("tenant:leave", f"{base}/leave", back.text, {})
        self.get("activity", "/activity", **rng.choice([{}, {"tenant": str(tid)}, {"action": "login"},
                                                        {"per_page": "50"}, {"from": "2026-01-01"}]))
        time.sleep(rng.uniform(0.0, 0.2))


def flap(server: SandboxServer, slugs: list[str], rng: random.Random, stop: threading.Event,
         log: Counter[str]) -> None:
    """Re-draw each tenant's faults every 2-4 s until ``stop``."""
    while not stop.is_set():
        for slug in slugs:
            mode = rng.choice(MODES)
            log[mode] += 1
            settings = {"healthy": {}, "slow": {"latency_ms": int(READ_TIMEOUT * 1000) + 400},
                        "erroring": {"error_rate": 0.6}, "malformed": {"malformed_rate": 0.6}}[mode]
            server.set_faults(slug, **settings, seed=rng.randrange(1 << 30))
        stop.wait(rng.uniform(2.0, 4.0))


def build_hub(app: Any, server: SandboxServer, slugs: list[str], agents: int) -> tuple[list[str], list[int]]:
    """The hub, its agents and one tenant per sandbox tenant with credential, grant and sync account."""
    from hub.provisioning import create_hub

    with app.app_context():
        db.create_all()
        hub, _admin, _initial = create_hub(slug="soak", name="Soak Billing", billing_company_ref="acme",
                                           admin_email="admin@soak.example", admin_name="Soak Admin")
        emails = [f"agent{n}@soak.example" for n in range(agents)]
        users = [create_user(email=e, display_name=e, role=Role.AGENT, password=PASSWORD, actor=None, hub=hub,
                             restricted_user_id=RESTRICTED[0]) for e in emails]
        ids = []
        for slug in slugs:
            tenant = tenants_service.create_tenant(hub=hub, name=f"Soak {slug}", base_url=server.tenant_url(slug),
                                                   actor=None, permission_levels=["Billing - Full"])
            level = db.session.scalars(sa.select(PermissionLevel).where(PermissionLevel.tenant_id == tenant.id)).one()
            number = slug.rsplit("-", 1)[1]
            credential = tenants_service.store_credential(
                tenant=tenant, permission_level=level, label="Full", remote_user_id=f"t{number}-acme-full",
                secret=FULL_PASSWORD, actor=None)
            for user in users:
                tenants_service.grant_access(permission_level=level, actor=None, user=user)
            set_sync_account(tenant=tenant, credential=credential, restricted_user_id=RESTRICTED[0],
                             restricted_secret=RESTRICTED[1], actor_label="soak")
            ids.append(tenant.id)
        db.session.commit()
        return emails, ids


def final_pass(app: Any) -> list[Any]:
    """Make every tenant due, then one clean pass (retried while anything fails); its results."""
    results: list[Any] = []
    for _attempt in range(3):
        with app.app_context():
            db.session.execute(sa.update(SyncState).values(next_attempt_at=None, lease_owner=None,
                                                           lease_expires_at=None))
            db.session.commit()
        summary = sync_pass(app, concurrency=8, worker_id="soak-final")
        results = list(summary.results)
        if not summary.failed:
            break
    return results


def read_through_connector(base_url: str, remote_user: str) -> list[tuple[int, str | None]]:
    """Every audit event of a tenant as (id, platform), read with the Full account."""
    connector = HttpTenantConnector(base_url, timeouts=Timeouts(connect=2, read=10, total=30))
    client = ClientInfo(platform=VERIFY_PLATFORM)
    try:
        step = connector.begin_login(remote_user, FULL_PASSWORD, client=client)
        assert isinstance(step, SecondaryChallenge)
        session = connector.complete_secondary(step, *RESTRICTED, client=client)
        events, cursor = [], None
        while True:
            page = connector.read_audit(session, cursor=cursor, limit=500)
            events += [(int(e.event_id), e.platform) for e in page.items]
            cursor = page.next_cursor or cursor
            if not page.has_more or not page.items:
                break
        connector.logout(session)
        return events
    finally:
        connector.close()


def verify(app: Any, server: SandboxServer, slugs: list[str], tenant_ids: list[int]) -> dict[str, Any]:
    """Per tenant: stored ids against the tenant's up to the last stored id; duplicates; the tail."""
    out: dict[str, Any] = {"lost": {}, "extra": {}, "dupes": 0, "bad_tail": {}, "stored": 0, "remote": 0}
    with app.app_context():
        dupes = db.session.execute(
            sa.select(TenantAuditEvent.tenant_id, TenantAuditEvent.remote_event_id).group_by(
                TenantAuditEvent.tenant_id, TenantAuditEvent.remote_event_id).having(sa.func.count() > 1)).all()
        out["dupes"] = len(dupes)
        for slug, tid in zip(slugs, tenant_ids, strict=True):
            stored_list = [int(x) for x in db.session.scalars(
                sa.select(TenantAuditEvent.remote_event_id).where(TenantAuditEvent.tenant_id == tid))]
            stored = set(stored_list)
            out["dupes"] += len(stored_list) - len(stored)
            remote = read_through_connector(server.tenant_url(slug), f"t{slug.rsplit('-', 1)[1]}-acme-full")
            top = max(stored, default=0)
            upto = {i for i, _p in remote if i <= top}
            # after the last stored event only the final pass's own reads and our verification may follow
            tail = [(i, p) for i, p in remote if i > top and p not in (SYNC_CLIENT.platform, VERIFY_PLATFORM)]
            if upto - stored:
                out["lost"][slug] = sorted(upto - stored)[:10]
            if stored - {i for i, _p in remote}:
                out["extra"][slug] = sorted(stored - {i for i, _p in remote})[:10]
            if tail:
                out["bad_tail"][slug] = tail[:10]
            out["stored"] += len(stored_list)
            out["remote"] += len(remote)
    return out


def run(minutes: float, *, tenants: int, agents: int, workers: int, events: int, seed: int,
        database_url: str | None) -> int:
    """The whole soak; prints the figures and returns the exit status."""
    rng = random.Random(seed)
    tally, flaps, threads = Tally(), Counter[str](), []
    # a throw-away schema on PostgreSQL (or a temp SQLite file): runs never see each other's rows
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, scratch_database(database_url, label="soak") as hub_url:
        sandbox_url = f"sqlite:///{Path(tmp) / 'sandbox.sqlite3'}"
        engine = sa.create_engine(sandbox_url)
        seed_tenants(engine, tenants=tenants, clients=3, events=events, seed=seed)
        engine.dispose()
        slugs = [f"tenant-{n:03d}" for n in range(1, tenants + 1)]
        config = {**HUB_CONFIG, "SQLALCHEMY_DATABASE_URI": hub_url}
        server = SandboxServer(sandbox_url).start()
        apps = [create_app(dict(config)) for _ in range(workers + 2)]
        web, final = apps[0], apps[1]
        # the clean pass after the faults gets generous bounds: a loaded machine must not time it out
        final.config.update(TENANT_READ_TIMEOUT=10.0, TENANT_TOTAL_TIMEOUT=30.0)
        emails, tenant_ids = build_hub(web, server, slugs, agents)
        httpd = make_server("127.0.0.1", 0, web, threaded=True, request_handler=_Quiet)
        hub_url = f"http://127.0.0.1:{httpd.server_port}"
        stop_workers, stop_flap = threading.Event(), threading.Event()
        started = time.monotonic()
        deadline = started + minutes * 60
        try:
            threads.append(threading.Thread(target=httpd.serve_forever, name="hub", daemon=True))
            threads.append(threading.Thread(target=flap, args=(server, slugs, rng, stop_flap, flaps), daemon=True))
            for n, app in enumerate(apps[2:]):
                threads.append(threading.Thread(target=run_forever, args=(app,), daemon=True, kwargs={
                    "interval": 0.5, "concurrency": 4, "stop_event": stop_workers, "worker_id": f"soak-w{n}"}))
            crowd = [Agent(hub_url, e, tenant_ids, tally, seed + n, deadline) for n, e in enumerate(emails)]
            for t in [*threads, *crowd]:
                t.start()
            for agent in crowd:
                agent.join(timeout=max(1.0, deadline - time.monotonic()) + 60)
                if agent.is_alive():
                    tally.fail(f"{agent.name} did not stop")
        finally:
            stop_flap.set()
            stop_workers.set()
            for t in threads[1:]:
                t.join(timeout=60)
            for slug in slugs:
                server.set_faults(slug)
            httpd.shutdown()
            threads[0].join(timeout=10)
            httpd.server_close()
        soak_seconds = time.monotonic() - started
        try:
            results = final_pass(final)
            checks = verify(final, server, slugs, tenant_ids)
        finally:
            for app in apps:
                close_connectors(app)
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
            server.stop()
    failed_final = [(r.tenant_name, r.error_code) for r in results if r.status != "ok"]
    print(f"soak: {soak_seconds:.0f}s, {tenants} tenants, {agents} agents, {workers} sync workers, seed {seed}")
    print(f"fault draws: {dict(flaps)}")
    print(f"agent journeys: {tally.journeys}, tenant entries that succeeded: {tally.entered}")
    by_code = Counter[int]()
    for (_kind, code), n in tally.statuses.items():
        by_code[code] += n
    print(f"hub responses by status: {dict(sorted(by_code.items()))}")
    for kind in sorted({k for k, _c in tally.statuses}):
        codes = {c: n for (k, c), n in sorted(tally.statuses.items()) if k == kind}
        print(f"  {kind:18} {codes}")
    print(f"final pass: {len(results)} tenant(s), {sum(r.events for r in results)} new event(s), "
          f"failed: {failed_final}")
    print(f"events stored {checks['stored']}, tenant rows read {checks['remote']}, duplicates {checks['dupes']}, "
          f"lost {checks['lost'] or 0}, unknown {checks['extra'] or 0}, unexplained tail {checks['bad_tail'] or 0}")
    problems = list(tally.problems)
    if failed_final:
        problems.append(f"final pass failed for {failed_final}")
    if checks["lost"] or checks["extra"] or checks["dupes"] or checks["bad_tail"]:
        problems.append("stored events differ from the tenants'")
    if tally.journeys == 0 or tally.entered == 0:
        problems.append("the agents did no work")
    for problem in problems[:30]:
        print(f"PROBLEM: {problem}")
    print("soak: OK" if not problems else f"soak: FAILED ({len(problems)} problem(s))")
    return 0 if not problems else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the soak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the flapping phase (default 5)")
    parser.add_argument("--quick", action="store_true", help="about 45 seconds in all (CI)")
    parser.add_argument("--tenants", type=int, default=6)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--events", type=int, default=300, help="audit events seeded per tenant")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--database-url", default=None, help="hub database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    minutes = 0.5 if args.quick else args.minutes
    return run(minutes, tenants=args.tenants, agents=args.agents, workers=args.workers, events=args.events,
               seed=args.seed, database_url=args.database_url)


if __name__ == "__main__":
    raise SystemExit(main())
