"""The one-command demo: it builds a sound world, serves it over real HTTP and stops cleanly on Ctrl-C."""

from __future__ import annotations

import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from hub.demo.cli import main
from hub.demo.state import DataDir
from tests.forms import csrf_token_from

SMALL = ["--tenants", "3", "--events-per-tenant", "50", "--clients", "8", "--port", "0", "--sandbox-port", "0"]
REPO = Path(__file__).resolve().parent.parent


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_check_builds_a_sound_world_then_reuses_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "demo-data"
    assert main([*SMALL, "--check", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Building a new demo world" in out and "CHECK OK" in out
    assert "agent enters a tenant through the secondary prompt" in out
    assert "misconfigured tenants flagged before anyone entered them: Sunrise Recovery Center" in out

    sandbox, hub = data / "sandbox.sqlite3", data / "hub.sqlite3"
    kinds = {row[0] for row in _rows(sandbox, "SELECT DISTINCT distribution FROM client_payers")}
    assert kinds == {"per_diem", "difference_percent", "difference_amount", "visit", "weekly", "monthly", "remainder"}
    per_client = _rows(sandbox, "SELECT c.id, SUM(cp.distribution = 'remainder'), MAX(cp.rank), "
                                "MAX(CASE WHEN cp.distribution = 'remainder' THEN cp.rank END) "
                                "FROM clients c JOIN client_payers cp ON cp.client_id = c.id GROUP BY c.id")
    assert len(per_client) == 3 * 8
    assert all(ones == 1 and last == remainder_rank for _c, ones, last, remainder_rank in per_client)
    assert _rows(sandbox, "SELECT COUNT(*) FROM authorizations")[0][0] > 0
    names = [r[0] for r in _rows(sandbox, "SELECT name FROM companies WHERE kind = 'customer' ORDER BY slug")]
    assert names == ["Good Harbor Counseling", "Riverbend Behavioral Health", "Sunrise Recovery Center"]
    assert _rows(sandbox, "SELECT user_type FROM users WHERE user_id = 't003-acme-full'") == [("standard",)]
    assert _rows(sandbox, "SELECT COUNT(DISTINCT user_id) FROM audit_events WHERE user_type = 'standard'")[0][0] > 1
    span = _rows(sandbox, "SELECT julianday(MAX(occurred_at)) - julianday(MIN(occurred_at)) FROM audit_events "
                          "WHERE company_id = (SELECT id FROM companies WHERE slug = 'tenant-001') "
                          "AND ip_address NOT LIKE '127.%'")[0][0]
    assert span > 60  # months of history, not one afternoon

    roles = dict(_rows(hub, "SELECT role, COUNT(*) FROM users GROUP BY role"))
    assert roles == {"support": 1, "hub_admin": 1, "agent": 3, "tenant_admin": 1}
    assert _rows(hub, "SELECT COUNT(*) FROM users WHERE must_change_password")[0][0] == 0
    assert _rows(hub, "SELECT COUNT(*) FROM sync_accounts")[0][0] == 3
    assert _rows(hub, "SELECT COUNT(*) FROM billing_credentials")[0][0] == 6
    assert _rows(hub, "SELECT COUNT(DISTINCT tenant_id) FROM tenant_audit_events")[0][0] == 3
    # the first seat check ran with the sync account everywhere and flagged Sunrise's charged Full account;
    # the audit sync that followed left the flag in place
    seat_checks = _rows(hub, "SELECT t.name, r.outcome, r.charged FROM seat_check_runs r "
                             "JOIN tenants t ON t.id = r.tenant_id ORDER BY t.name")
    assert seat_checks == [("Good Harbor Counseling", "ok", 0), ("Riverbend Behavioral Health", "ok", 0),
                           ("Sunrise Recovery Center", "ok", 1)]
    assert _rows(hub, "SELECT name, last_error_code FROM tenants WHERE health_status = 'misconfigured'") == [
        ("Sunrise Recovery Center", "billing_seat_charged")]
    state = DataDir(data).load()
    assert state is not None and state.complete and state.problems == {
        "Riverbend Behavioral Health": "slow", "Sunrise Recovery Center": "misconfigured"}
    secrets_file = data / "demo.json"
    assert secrets_file.stat().st_mode & 0o077 == 0

    started = time.perf_counter()
    assert main([*SMALL, "--check", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Reusing the demo world" in out and "CHECK OK" in out and "Building" not in out
    assert time.perf_counter() - started < 10


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def _read_banner(proc: subprocess.Popen[str], pump: threading.Thread, lines: queue.Queue[str | None],
                 timeout: float) -> list[str]:
    pump.start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line.rstrip("\n"))
        if "Press Ctrl-C" in line:
            return seen
    raise AssertionError("no banner:\n" + "\n".join(seen))


@pytest.mark.slow
def test_demo_serves_over_http_and_stops_on_sigint(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.demo", *SMALL, "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    try:
        banner = "\n".join(_read_banner(proc, reader, lines, timeout=60))
        hub_url = re.search(r"Hub:\s+(http://127\.0\.0\.1:\d+)/login", banner).group(1)  # type: ignore[union-attr]
        sandbox_url = re.search(r"Sandbox:\s+(http://127\.0\.0\.1:\d+)/", banner).group(1)  # type: ignore[union-attr]
        email, password, restricted_id, restricted_password = re.search(  # type: ignore[union-attr]
            r"^\s+agent\s+(\S+)\s+(\S+)\s+(\S+) / (\S+)$", banner, re.M).groups()
        assert "TOTP" not in restricted_password

        with httpx.Client(base_url=hub_url, timeout=30) as client:
            page = client.get("/login")
            assert page.status_code == 200
            reply = client.post("/login", data={"csrf_token": csrf_token_from(page.text), "email": email,
                                                "password": password})
            assert reply.status_code == 302 and "/login" not in reply.headers["location"]
            dashboard = client.get("/tenants")
            assert dashboard.status_code == 200
            tenant_id = re.search(r"Good Harbor Counseling.*?/tenants/(\d+)/enter", dashboard.text, re.S).group(1)  # type: ignore[union-attr]
            reply = client.post(f"/tenants/{tenant_id}/enter", data={"csrf_token": csrf_token_from(dashboard.text)})
            assert reply.status_code == 302 and reply.headers["location"].endswith(f"/tenants/{tenant_id}/secondary")
            prompt = client.get(f"/tenants/{tenant_id}/secondary")
            assert prompt.status_code == 200 and restricted_id in prompt.text
            reply = client.post(f"/tenants/{tenant_id}/secondary", data={
                "csrf_token": csrf_token_from(prompt.text), "username": restricted_id,
                "password": restricted_password})
            assert reply.status_code == 302 and reply.headers["location"].endswith(f"/tenants/{tenant_id}/clients")
            clients = client.get(f"/tenants/{tenant_id}/clients")
            assert clients.status_code == 200 and "Good Harbor Counseling" in clients.text
        assert _port_open(hub_url) and _port_open(sandbox_url)

        stopping = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - stopping < 10
        assert not _port_open(hub_url) and not _port_open(sandbox_url)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)  # the pipe is at its end once the process is gone
        assert proc.stdout is not None
        proc.stdout.close()
