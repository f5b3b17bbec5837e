"""``python -m hub.demo``: the hub and a seeded sandbox on SQLite, with printed logins; Ctrl-C stops it.

Demo only: the accounts, passwords and keys of ``demo-data/`` are for trying the hub on your own
machine (both servers listen on 127.0.0.1), never for real data.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

import click

from hub.demo.check import CheckFailed, run_check
from hub.demo.runtime import Demo, Options
from hub.demo.servers import PortInUse
from hub.demo.state import DataDir, DemoState

PROBLEMS = {
    "slow": "slow (1.5 s per tenant call)",
    "misconfigured": "misconfigured (its Full Billing account is a charged Standard seat)",
    "flaky": "flaky (1 tenant call in 5 fails)",
}


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def banner(demo: Demo, started: float) -> str:
    """The "it's running" text: addresses and the table of logins."""
    assert demo.hub is not None and demo.sandbox is not None and demo.state is not None
    state: DemoState = demo.state
    rows = [("role", "login (email)", "password", "tenant prompt: Restricted User ID / password")]
    for item in state.logins:
        prompt = f"{item.restricted_user_id} / {item.restricted_password}" if item.restricted_user_id else ""
        if item.totp_secret:
            prompt += f" + TOTP secret {item.totp_secret}"
        rows.append((item.role, item.email, item.password, prompt))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    table = [f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows]
    notes = [f"  {item.name} ({item.role}): {item.note}" for item in state.logins if item.note]
    line = "=" * 78
    return "\n".join([
        line,
        f"Billing Hub demo is running (ready in {time.perf_counter() - started:.1f} s)",
        f"  Hub:      {demo.hub.url}/login",
        f"  Sandbox:  {demo.sandbox.url}/_sandbox/companies  (the tenants' own system)",
        f"  Data:     {demo.options.data_dir.path}",
        "",
        "Logins (demo accounts only; passwords are random per data folder):",
        *table,
        *notes,
        "",
        "Deliberate problems (the rest are healthy):",
        *[f"  {name}: {PROBLEMS[problem]}" for name, problem in state.problems.items()],
        f"Audit sync: every 30 s in the background{'' if demo.options.sync_worker else ' (disabled)'}.",
        "Press Ctrl-C to stop everything.",
        line,
    ])


def _check(demo: Demo) -> int:
    assert demo.hub is not None and demo.sandbox is not None and demo.state is not None
    click.echo(f"Checking the demo at {demo.hub.url} ...")
    try:
        steps = run_check(demo.hub.url, demo.sandbox.url, demo.state.logins, demo.state.check_tenant,
                          demo.state.problems)
    except CheckFailed as exc:
        click.echo(f"CHECK FAILED: {exc}", err=True)
        return 1
    for step in steps:
        click.echo(f"  ok  {step.name}: {step.detail}")
    click.echo("CHECK OK")
    return 0


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", default="demo-data", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's databases and state.")
@click.option("--reset", is_flag=True, help="Throw the existing demo world away and build a new one.")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Hub port (default 5000, or a free one if taken; 0 = any free port).")
@click.option("--sandbox-port", type=click.IntRange(0, 65535), default=None,
              help="Sandbox port (default 8400, or a free one if taken; 0 = any free port).")
@click.option("--tenants", type=click.IntRange(1, 500), default=12, show_default=True,
              help="Sandbox tenants to seed (new world only).")
@click.option("--events-per-tenant", type=click.IntRange(0, 200_000), default=3000, show_default=True,
              help="Audit events of history per tenant (new world only).")
@click.option("--clients", type=click.IntRange(1, 5000), default=24, show_default=True,
              help="Clients per tenant (new world only).")
@click.option("--no-sync-worker", is_flag=True, help="Do not run the background audit sync.")
@click.option("--check", is_flag=True, help="Build and start, verify over HTTP, stop; exit 0 if all is well.")
def demo_command(data_dir: str, reset: bool, port: int | None, sandbox_port: int | None, tenants: int,
                 events_per_tenant: int, clients: int, no_sync_worker: bool, check: bool) -> None:
    """Run Billing Hub with a seeded sandbox world on SQLite (Ctrl-C stops everything)."""
    started = time.perf_counter()
    options = Options(DataDir(data_dir), port, sandbox_port, tenants, events_per_tenant, clients, reset,
                      sync_worker=not no_sync_worker and not check)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # stop cleanly under process managers too
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    demo = Demo(options)
    code = 0
    try:
        demo.build()
        demo.start_hub()
        if check:
            code = _check(demo)
        else:
            click.echo(banner(demo, started), color=False)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nStopping ...")
    except PortInUse as exc:
        click.echo(f"Error: {exc}", err=True)
        code = 2
    finally:
        # a second Ctrl-C must not cut the clean-up short (every step below is bounded)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stuck = demo.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
    if stuck:
        click.echo(f"Did not stop in time: {', '.join(stuck)}", err=True)
        code = code or 1
    if not check:
        click.echo("Demo stopped." if not stuck else "Demo stopped with problems.")
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m hub.demo``; returns the exit code."""
    try:
        demo_command.main(args=list(argv) if argv is not None else None, prog_name="python -m hub.demo",
                          standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0
