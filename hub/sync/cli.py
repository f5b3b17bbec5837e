"""``flask hub sync`` (one pass or ``--forever``) and ``flask hub sync-account set``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from hub.extensions import db
from hub.sync.service import TenantResult
from hub.sync.worker import PassSummary, default_worker_id, run_forever, sync_pass

_HEADERS = ("tenant", "status", "new events", "pages", "seconds", "seat check", "error")


def summary_rows(summary: PassSummary) -> list[tuple[str, ...]]:
    """The summary table's rows, one per tenant, sorted by tenant name."""
    rows = []
    for r in sorted(summary.results, key=lambda r: (r.tenant_name, r.tenant_id)):
        error = f"{r.error_code}: {r.error_message}" if r.error_code else ""
        rows.append((f"{r.tenant_name} (#{r.tenant_id})", r.status, str(r.events), str(r.pages),
                     f"{r.elapsed:.2f}", r.seat_check or "-", error[:100]))
    return rows


def echo_summary(summary: PassSummary) -> None:
    """Print the summary table and a totals line."""
    rows = summary_rows(summary)
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(_HEADERS)]
    fmt = "  ".join(f"{{:{'>' if i in (2, 3, 4) else '<'}{w}}}" for i, w in enumerate(widths))
    click.echo(fmt.format(*_HEADERS).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(fmt.format(*row).rstrip())
    checks_failed = f" ({summary.seat_checks_failed} failed)" if summary.seat_checks_failed else ""
    click.echo(
        f"{len(summary.results)} tenant(s), {summary.events} new event(s), {len(summary.failed)} failed, "
        f"{summary.seat_checks} seat check(s){checks_failed}, {summary.elapsed:.2f}s (worker {summary.worker_id})"
    )


@click.command("sync")
@click.option("--forever", is_flag=True, help="Keep running passes until SIGTERM/SIGINT.")
@click.option("--interval", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds between passes (with --forever).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Tenants pulled at once.")
@click.option("--worker-id", default=None, help="Lease owner name (default: host:pid:random).")
@click.option("--tenant", "tenant_ids", type=int, multiple=True, help="Only these tenant ids (repeatable).")
@with_appcontext
def sync_command(forever: bool, interval: float, concurrency: int, worker_id: str | None,
                 tenant_ids: tuple[int, ...]) -> None:
    """Pull the tenants' audit events into the hub (one pass, or a worker loop).

    A tenant pulled completely is also seat-checked when its last check is older than
    HUB_SEAT_CHECK_INTERVAL_HOURS (0: never); a failed seat check does not fail the pass.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker_id = worker_id or default_worker_id()
    if forever:
        click.echo(f"sync worker {worker_id}: every {interval:g}s, {concurrency} at once; Ctrl-C to stop")

        def _report(summary: PassSummary) -> None:
            if summary.results:
                echo_summary(summary)

        run_forever(app, interval=interval, concurrency=concurrency, worker_id=worker_id, on_pass=_report)
        click.echo("sync worker stopped; leases released")
        return
    from hub.sync.claims import count_due, ensure_states

    ensure_states()
    expected = count_due() if not tenant_ids else len(tenant_ids)
    with click.progressbar(length=max(expected, 1), label="syncing tenants", show_pos=True,
                           file=sys.stderr) as bar:

        def _advance(result: TenantResult) -> None:
            bar.label = f"synced {result.tenant_name}"
            bar.update(1)

        summary = sync_pass(app, concurrency=concurrency, worker_id=worker_id,
                            tenant_ids=tenant_ids or None, on_result=_advance)
    echo_summary(summary)
    if summary.failed:
        raise SystemExit(1)


@click.group("sync-account")
def sync_account_group() -> None:
    """Manage the per-tenant sync service credential."""


@sync_account_group.command("set")
@click.option("--tenant", "tenant_id", type=int, required=True, help="Tenant id.")
@click.option("--credential", "credential_id", type=int, required=True,
              help="Id of the tenant's Billing credential sync logs in with.")
@click.option("--restricted-user", required=True, help="User ID of the service Restricted account.")
@click.option("--with-totp", is_flag=True, help="The Restricted account has TOTP: prompt for its secret.")
@with_appcontext
def set_account_command(tenant_id: int, credential_id: int, restricted_user: str, with_totp: bool) -> None:
    """Set (or replace) a tenant's sync account; the password is prompted, never an argument."""
    from hub.sync.accounts import SyncAccountError, set_sync_account
    from hub.tenants.models import BillingCredential, Tenant

    tenant = db.session.get(Tenant, tenant_id)
    credential = db.session.get(BillingCredential, credential_id)
    if tenant is None:
        raise click.BadParameter("no such tenant", param_hint="--tenant")
    if credential is None or credential.tenant_id != tenant.id:
        raise click.BadParameter("no such Billing credential for this tenant", param_hint="--credential")
    password = click.prompt("Restricted account password", hide_input=True, confirmation_prompt=True)
    totp = click.prompt("TOTP secret (base32)", hide_input=True) if with_totp else None
    try:
        account = set_sync_account(tenant=tenant, credential=credential, restricted_user_id=restricted_user,
                                   restricted_secret=password, totp_secret=totp, actor_label="cli")
    except SyncAccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"sync account {account.id} set for tenant {tenant.name} (#{tenant.id})")


def register_commands(group: click.Group) -> None:
    """Attach the sync commands to the ``flask hub`` group."""
    group.add_command(sync_command)
    group.add_command(sync_account_group)
