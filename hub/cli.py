"""The ``flask hub`` command group: provisioning, key rotation, audit verification, database set-up.

Output never carries a secret, except the one-time initial password of an account just created
(printed once, to be changed at first login).
"""

from __future__ import annotations

from typing import IO, NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from hub.accounts.models import Hub
from hub.extensions import db

hub_group = AppGroup("hub", help="Billing Hub administration commands.")


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    raise click.ClickException(message)


def _find_hub(slug: str) -> Hub:
    hub = db.session.scalars(select(Hub).where(Hub.slug == slug.strip().lower())).first()
    if hub is None:
        _fail(f"no hub with slug {slug!r}")
    return hub


def _print_password(email: str, password: str) -> None:
    click.echo(f"Initial password for {email} (shown once; must be changed at first login):")
    click.echo(f"  {password}")


@hub_group.command("init-db")
def init_db() -> None:
    """Apply the database migrations (same as ``flask db upgrade``)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("Database schema is up to date.")


@hub_group.command("create-hub")
@click.option("--slug", required=True, help="Short name of the hub (lower-case, digits, hyphens).")
@click.option("--name", required=True, help="The billing company's name.")
@click.option("--billing-company-ref", default=None, help="The company's id in the vendor's registry.")
@click.option("--admin-email", required=True, help="Login of the hub's first admin.")
@click.option("--admin-name", required=True, help="Display name of the hub's first admin.")
def create_hub_command(
    slug: str, name: str, billing_company_ref: str | None, admin_email: str, admin_name: str
) -> None:
    """Create a hub and its first hub admin with a one-time initial password."""
    from hub.provisioning import ProvisioningError, create_hub

    try:
        hub, admin, password = create_hub(
            slug=slug, name=name, billing_company_ref=billing_company_ref, admin_email=admin_email,
            admin_name=admin_name,
        )
    except ProvisioningError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Created hub {hub.slug!r} (id {hub.id}) with hub admin {admin.email}.")
    _print_password(admin.email, password)


@hub_group.command("create-user")
@click.option("--hub", "hub_slug", default=None, help="Slug of the user's hub (not for support accounts).")
@click.option("--role", required=True, type=click.Choice(["support", "hub_admin", "agent", "tenant_admin"]))
@click.option("--email", required=True)
@click.option("--name", required=True, help="Display name.")
@click.option("--restricted-user-id", default=None, help="Agents: their Restricted account's User ID.")
@click.option("--tenant", "tenant_name", default=None, help="Tenant admins: the name of their tenant.")
def create_user_command(
    hub_slug: str | None, role: str, email: str, name: str, restricted_user_id: str | None, tenant_name: str | None
) -> None:
    """Create a hub account with a one-time initial password."""
    from hub.provisioning import ProvisioningError, create_hub_user

    hub = _find_hub(hub_slug) if hub_slug else None
    try:
        user, password = create_hub_user(
            hub=hub, role=role, email=email, name=name, restricted_user_id=restricted_user_id,
            tenant_name=tenant_name,
        )
    except ProvisioningError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Created {role} account {user.email} (id {user.id}).")
    _print_password(user.email, password)


@hub_group.command("unlock-user")
@click.argument("email")
def unlock_user_command(email: str) -> None:
    """End the lockout of an account."""
    from hub.provisioning import ProvisioningError, unlock_account

    try:
        user = unlock_account(email)
    except ProvisioningError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Unlocked {user.email}.")


@hub_group.command("import-tenants")
@click.option("--hub", "hub_slug", required=True, help="Slug of the hub the tenants belong to.")
@click.option("--dry-run", is_flag=True, help="Check and report, save nothing.")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_tenants_command(hub_slug: str, dry_run: bool, csv_file: IO[str]) -> None:
    """Register tenants from a CSV file (name, base_url, connector, permission_levels, notes)."""
    from hub.provisioning import ProvisioningError, import_tenants, read_tenant_csv

    hub = _find_hub(hub_slug)
    try:
        rows = read_tenant_csv(csv_file)
    except ProvisioningError as exc:
        _fail(str(exc))
    report = import_tenants(hub, rows, dry_run=dry_run)
    width = max([len(r.name) for r in report.rows] + [4])
    click.echo(f"{'line':>4}  {'name':<{width}}  {'outcome':<8}  reason")
    for row in report.rows:
        click.echo(f"{row.line:>4}  {row.name:<{width}}  {row.outcome:<8}  {row.reason}".rstrip())
    counts = report.counts
    summary = f"added: {counts['added']}, skipped: {counts['skipped']}, rejected: {counts['rejected']}"
    click.echo(summary + (" (dry run: nothing was saved)" if dry_run else ""))


@hub_group.command("rotate-keys")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(min=1))
def rotate_keys_command(batch_size: int) -> None:
    """Re-seal every stored secret under the current (first) key of VAULT_KEYS; safe to re-run."""
    from hub import vault
    from hub.vault.rotation import pending_count, rotate_keys

    pending = pending_count()
    click.echo(f"Current key: {vault.current_key_id()}; values to re-seal: {pending}")
    with click.progressbar(length=pending, label="Re-sealing") as bar:
        report = rotate_keys(batch_size=batch_size, progress=bar.update)
    for name, column in report.columns.items():
        click.echo(f"  {name}: re-sealed {column.resealed}, failed {len(column.failed_ids)}")
    click.echo(f"Re-sealed {report.resealed} value(s); {report.failed} could not be opened.")
    if report.failed:
        ids = {name: c.failed_ids for name, c in report.columns.items() if c.failed_ids}
        raise click.ClickException(f"values that did not open were left as they were: {ids}")


@hub_group.command("verify-audit")
def verify_audit_command() -> None:
    """Check every audit hash chain; exit 1 naming the first broken link of each broken chain."""
    from hub.audit.models import AuditChain, AuditEvent
    from hub.audit.service import verify_all

    broken = verify_all()
    if broken:
        for link in broken:
            event = "no event" if link.event_id is None else f"event id {link.event_id}"
            click.echo(f"BROKEN chain {link.chain_key}: at seq {link.seq} ({event}): {link.reason}", err=True)
        raise SystemExit(1)
    chains = set(db.session.scalars(select(AuditChain.chain_key)))
    chains.update(db.session.scalars(select(AuditEvent.chain_key).distinct()))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    click.echo(f"OK: {len(chains)} chains, {events} events")


# the sync engine's commands live with the engine (hub/sync/cli.py); imported last, as it imports hub_group's module
from hub.sync.cli import register_commands as _register_sync_commands  # noqa: E402

_register_sync_commands(hub_group)
