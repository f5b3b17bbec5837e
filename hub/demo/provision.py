"""Build the demo hub through the real services, as support and the hub admin would.

The hub "ACME Billing" and its first admin come from :func:`hub.provisioning.create_hub`; the other
accounts from :func:`hub.accounts.service.create_user`; tenants, permission levels, credentials and
access grants from :mod:`hub.tenants.service`; sync accounts from :mod:`hub.sync.accounts`.  Every
step is audited like the real thing.  Demo accounts get printed random passwords and are *not*
forced to change them, so the demo is usable at once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from hub.accounts.models import AgentGroup, Hub, Role, User
from hub.accounts.service import change_password, create_user
from hub.audit.service import record
from hub.demo.state import Login, hub_password
from hub.demo.world import SYNC_RESTRICTED_USER, DemoTenant, WorldReport
from hub.extensions import db
from hub.provisioning import create_hub
from hub.sync.accounts import set_sync_account
from hub.tenants import service as tenants
from hub.tenants.models import PermissionLevel, Tenant
from tenant_connectors.sandbox.seed import GROUP_FULL, GROUP_READ_ONLY

HUB_SLUG = "acme"
HUB_NAME = "ACME Billing"
EMAIL_DOMAIN = "acme-billing.example"
#: (Restricted user id, display name, email name); the first two join the "Billing team" group
AGENTS = (("acme.alice", "Alice Archer", "alice"), ("acme.dev", "Dev Patel", "dev"), ("acme.bob", "Bob Baker", "bob"))
GROUP_NAME = "Billing team"
#: how many tenants the third agent (outside the group) may read
READ_ONLY_TENANTS = 4
DEMO_ACTOR = "demo"


def provision(
    world: WorldReport, sandbox_root: str, progress: Callable[[int], object] = lambda _n: None
) -> list[Login]:
    """Create the hub, its accounts and tenants for ``world``; commits. Returns the printed logins."""
    admin_password = hub_password()
    hub, admin, initial = create_hub(slug=HUB_SLUG, name=HUB_NAME, billing_company_ref="acme",
                                     admin_email=f"admin@{EMAIL_DOMAIN}", admin_name="Hana Admin")
    del initial  # replaced at once: the demo prints its own password and skips the forced change
    change_password(admin, admin_password, actor=None)
    logins = [Login("hub admin", admin.display_name, admin.email, admin_password)]
    support_password = hub_password()
    support = create_user(email="support@vendor.example", display_name="Sam Support", role=Role.SUPPORT,
                          password=support_password, actor=None)
    logins.insert(0, Login("support", support.display_name, support.email, support_password))
    agents = []
    for restricted_id, name, email_name in AGENTS:
        password = hub_password()
        agent = create_user(email=f"{email_name}@{EMAIL_DOMAIN}", display_name=name, role=Role.AGENT,
                            password=password, actor=None, hub=hub, restricted_user_id=restricted_id)
        agents.append(agent)
        note = "Full on every tenant (group Billing team)" if len(agents) <= 2 else (
            f"Read only on {READ_ONLY_TENANTS} tenants; TOTP at the tenant prompt")
        logins.append(Login("agent", name, agent.email, password, restricted_id, world.restricted[restricted_id],
                            world.totp.get(restricted_id, ""), note))
    group = _group(hub, agents[:2])
    registered = []
    for demo_tenant in world.tenants:
        registered.append(_tenant(hub, group, agents[2], world, demo_tenant, sandbox_root))
        progress(1)
    first = registered[0]
    tenant_admin_password = hub_password()
    tenant_admin = create_user(email="director@goodharbor.example", display_name="Terry Director",
                               role=Role.TENANT_ADMIN, password=tenant_admin_password, actor=None, hub=hub,
                               tenant_id=first.id)
    logins.append(Login("tenant admin", tenant_admin.display_name, tenant_admin.email, tenant_admin_password,
                        note=f"reviews {first.name}"))
    db.session.commit()
    return logins


def _group(hub: Hub, members: list[User]) -> AgentGroup:
    group = AgentGroup(hub_id=hub.id, name=GROUP_NAME, description="Everyone who works every tenant",
                       members=members)
    db.session.add(group)
    db.session.flush()
    record("agent_group.created", actor_label=DEMO_ACTOR, hub_id=hub.id, target_type="agent_group",
           target_id=group.id, detail={"members": len(members)})
    return group


def _tenant(hub: Hub, group: AgentGroup, reader: User, world: WorldReport, t: DemoTenant,
            sandbox_root: str) -> Tenant:
    notes = {"slow": "Deliberately slow in the demo (1.5 s per call).",
             "misconfigured": "Deliberately misconfigured: the Full Billing account is a Standard seat.",
             "flaky": "Deliberately flaky in the demo (1 call in 5 fails)."}
    tenant = tenants.create_tenant(hub=hub, name=t.name, base_url=f"{sandbox_root}/t/{t.slug}/api/v1",
                                   actor=None, notes=notes.get(t.problem, ""),
                                   permission_levels=[GROUP_FULL, GROUP_READ_ONLY])
    levels = {lv.name: lv for lv in db.session.scalars(
        select(PermissionLevel).where(PermissionLevel.tenant_id == tenant.id))}
    full_id, full_secret = t.full_user
    readonly_id, readonly_secret = t.readonly_user
    tenants.store_credential(tenant=tenant, permission_level=levels[GROUP_FULL], label="ACME Billing (full)",
                             remote_user_id=full_id, secret=full_secret, actor=None)
    readonly = tenants.store_credential(tenant=tenant, permission_level=levels[GROUP_READ_ONLY],
                                        label="ACME Billing (read only)", remote_user_id=readonly_id,
                                        secret=readonly_secret, actor=None)
    tenants.grant_access(permission_level=levels[GROUP_FULL], actor=None, group=group)
    if t.number <= READ_ONLY_TENANTS:
        tenants.grant_access(permission_level=levels[GROUP_READ_ONLY], actor=None, user=reader)
    # least privilege: the sync worker and the seat check log in with the Read only account, whose group
    # may read the audit report and list users (hub.demo.world) but change nothing
    set_sync_account(tenant=tenant, credential=readonly, restricted_user_id=SYNC_RESTRICTED_USER,
                     restricted_secret=world.restricted[SYNC_RESTRICTED_USER], actor_label=DEMO_ACTOR)
    return tenant


def move_sandbox(sandbox_root: str) -> int:
    """Point every tenant at a sandbox now served at ``sandbox_root`` (another port); commits."""
    moved = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        path = tenant.base_url.split("/t/", 1)[1] if "/t/" in tenant.base_url else None
        if path is not None and tenant.base_url != f"{sandbox_root}/t/{path}":
            tenants.update_tenant(tenant, actor=None, base_url=f"{sandbox_root}/t/{path}")
            moved += 1
    db.session.commit()
    return moved
