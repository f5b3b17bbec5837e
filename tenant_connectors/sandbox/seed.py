"""The deterministic small test world of the sandbox (:func:`seed_test_world`) and seeding helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from tenant_connectors.base import AuditAction, CompanyKind, Permission, UserType
from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.db import create_schema
from tenant_connectors.sandbox.models import (
    AuditRow,
    Authorization,
    Client,
    ClientPayer,
    Company,
    Payer,
    PermissionGroup,
    StatusHistory,
    User,
)
from tenant_connectors.sandbox.passwords import hash_password

ALL_PERMISSIONS = frozenset(p.value for p in Permission)
READ_ONLY_PERMISSIONS = frozenset(
    {Permission.CLIENTS_READ, Permission.PAYERS_READ, Permission.AUTHORIZATIONS_READ, Permission.AUDIT_READ}
)
GROUP_FULL = "Billing - Full"
GROUP_READ_ONLY = "Billing - Read only"
PAY_START = date(2026, 1, 1)

_hash_cache: dict[str, str] = {}


def cached_hash(password: str) -> str:
    """An argon2 hash of ``password``, reused across seeded accounts (sandbox data only)."""
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


@dataclass(frozen=True)
class TestWorld:
    """Names, credentials and ids of the seeded test world (credentials are ``(user_id, password)``).

    Billing companies: ``acme`` ("ACME Billing") with Restricted ``restricted_alice`` (no TOTP) and
    ``restricted_bob`` (TOTP ``bob_totp_secret``) and Standard ``acme_standard_carol`` (refused at the
    secondary step); ``zenith`` ("Zenith Billing") with Restricted ``zenith_zoe``.

    Tenant ``good-therapy`` ("Good Therapy, Inc"): Billing users ``billing_full`` (acme, Full),
    ``billing_readonly`` (acme, Read only), ``billing_zenith`` (zenith, Full); the misconfigured
    ``billing_standard`` (Standard, names acme, group Full); staff ``staff_admin`` (Standard, Full).
    Payer directory ids in ``payer_ids`` by name; clients ``rivera_id``, ``chen_id``, ``okafor_id``;
    client payer ids ``rivera_blue_shield_cp`` (Primary Difference % 80), ``rivera_self_cp``
    (Secondary Remainder), ``chen_self_cp`` (Primary Remainder), ``okafor_medicaid_cp`` (Primary Per
    Diem 150.00), ``okafor_county_cp`` (Secondary Monthly 400.00), ``okafor_self_cp`` (Tertiary
    Remainder); ``okafor_authorization_id`` (1200.00 per week on the Medicaid payer).

    Tenant ``calm-waters`` ("Calm Waters Clinic"): Billing user ``cw_billing_full`` (acme, Full);
    clients ``cw_client_ids`` each with a Self Remainder payer (``cw_self_cps``).
    """

    __test__ = False  # not a pytest test class

    acme: str = "acme"
    acme_name: str = "ACME Billing"
    zenith: str = "zenith"
    zenith_name: str = "Zenith Billing"
    good_therapy: str = "good-therapy"
    good_therapy_name: str = "Good Therapy, Inc"
    calm_waters: str = "calm-waters"
    calm_waters_name: str = "Calm Waters Clinic"
    tenants: tuple[str, ...] = ("good-therapy", "calm-waters")
    billing_companies: tuple[str, ...] = ("acme", "zenith")
    restricted_alice: tuple[str, str] = ("acme.alice", "alice-Passw0rd!")
    restricted_bob: tuple[str, str] = ("acme.bob", "bob-Passw0rd!")
    bob_totp_secret: str = "JBSWY3DPEHPK3PXP"  # noqa: S105 - published sandbox test secret
    acme_standard_carol: tuple[str, str] = ("acme.carol", "carol-Passw0rd!")
    zenith_zoe: tuple[str, str] = ("zenith.zoe", "zoe-Passw0rd!")
    billing_full: tuple[str, str] = ("gt-acme-full", "gt-full-Secret1!")
    billing_readonly: tuple[str, str] = ("gt-acme-readonly", "gt-ro-Secret1!")
    billing_zenith: tuple[str, str] = ("gt-zenith", "gt-zenith-Secret1!")
    billing_standard: tuple[str, str] = ("gt-acme-standard", "gt-std-Secret1!")
    staff_admin: tuple[str, str] = ("gt.admin", "admin-Passw0rd!")
    cw_billing_full: tuple[str, str] = ("cw-acme-full", "cw-full-Secret1!")
    group_full: str = GROUP_FULL
    group_readonly: str = GROUP_READ_ONLY
    full_permissions: frozenset[str] = ALL_PERMISSIONS
    readonly_permissions: frozenset[str] = READ_ONLY_PERMISSIONS
    payer_ids: tuple[tuple[str, str], ...] = ()
    rivera_id: str = ""
    chen_id: str = ""
    okafor_id: str = ""
    rivera_blue_shield_cp: str = ""
    rivera_self_cp: str = ""
    chen_self_cp: str = ""
    okafor_medicaid_cp: str = ""
    okafor_county_cp: str = ""
    okafor_self_cp: str = ""
    okafor_authorization_id: str = ""
    cw_client_ids: tuple[str, ...] = ()
    cw_self_cps: tuple[str, ...] = ()

    def payer_id(self, name: str) -> str:
        """Good Therapy's directory payer id for ``name`` ("Blue Shield")."""
        return dict(self.payer_ids)[name]


def add_company(db: Session, slug: str, name: str, kind: CompanyKind) -> Company:
    """A company row."""
    company = Company(slug=slug, name=name, kind=kind.value)
    db.add(company)
    db.flush()
    return company


def add_group(db: Session, company: Company, name: str, permissions: frozenset[str]) -> PermissionGroup:
    """A permission group."""
    group = PermissionGroup(company_id=company.id, name=name, permissions=" ".join(sorted(permissions)))
    db.add(group)
    db.flush()
    return group


def add_user(
    db: Session,
    company: Company,
    user_id: str,
    display_name: str,
    user_type: UserType,
    password: str,
    *,
    billing_company: Company | None = None,
    group: PermissionGroup | None = None,
    totp_secret: str | None = None,
) -> User:
    """A user account."""
    user = User(
        company_id=company.id,
        user_id=user_id,
        display_name=display_name,
        user_type=user_type.value,
        password_hash=cached_hash(password),
        totp_secret=totp_secret,
        billing_company_id=billing_company.id if billing_company else None,
        permission_group_id=group.id if group else None,
    )
    db.add(user)
    db.flush()
    return user


def add_client_payer(
    db: Session, client: Client, payer: Payer, rank: int, distribution: str, amount: str | None = None
) -> ClientPayer:
    """An active client payer with its first history entry."""
    cp = ClientPayer(
        client_id=client.id,
        payer_id=payer.id,
        rank=rank,
        distribution=distribution,
        amount=amount,
        pay_start=PAY_START,
        status="active",
    )
    db.add(cp)
    db.flush()
    db.add(
        StatusHistory(
            client_payer_id=cp.id,
            old_status=None,
            new_status="active",
            effective_date=PAY_START,
            note="added",
            changed_by="gt.admin",
            changed_at=clock.now(),
        )
    )
    return cp


def _client(db: Session, company: Company, first: str, last: str, account: str) -> Client:
    client = Client(company_id=company.id, first_name=first, last_name=last, account_number=account)
    db.add(client)
    db.flush()
    return client


def seed_test_world(engine_or_session: Engine | Session) -> TestWorld:
    """Create the test world (tables included) and commit; returns its names and ids."""
    if isinstance(engine_or_session, Engine):
        create_schema(engine_or_session)
        with Session(engine_or_session) as db:
            world = _seed(db)
            db.commit()
            return world
    world = _seed(engine_or_session)
    engine_or_session.commit()
    return world


def _seed(db: Session) -> TestWorld:
    w = TestWorld()
    acme = add_company(db, w.acme, w.acme_name, CompanyKind.BILLING_COMPANY)
    zenith = add_company(db, w.zenith, w.zenith_name, CompanyKind.BILLING_COMPANY)
    add_user(db, acme, w.restricted_alice[0], "Alice Archer", UserType.RESTRICTED, w.restricted_alice[1])
    add_user(
        db,
        acme,
        w.restricted_bob[0],
        "Bob Baker",
        UserType.RESTRICTED,
        w.restricted_bob[1],
        totp_secret=w.bob_totp_secret,
    )
    add_user(db, acme, w.acme_standard_carol[0], "Carol Cruz", UserType.STANDARD, w.acme_standard_carol[1])
    add_user(db, zenith, w.zenith_zoe[0], "Zoe Zimmer", UserType.RESTRICTED, w.zenith_zoe[1])

    gt = add_company(db, w.good_therapy, w.good_therapy_name, CompanyKind.CUSTOMER)
    full = add_group(db, gt, GROUP_FULL, ALL_PERMISSIONS)
    readonly = add_group(db, gt, GROUP_READ_ONLY, READ_ONLY_PERMISSIONS)
    billing = UserType.BILLING
    add_user(
        db, gt, w.billing_full[0], "ACME Billing (full)", billing, w.billing_full[1], billing_company=acme, group=full
    )
    add_user(
        db,
        gt,
        w.billing_readonly[0],
        "ACME Billing (read only)",
        billing,
        w.billing_readonly[1],
        billing_company=acme,
        group=readonly,
    )
    add_user(
        db, gt, w.billing_zenith[0], "Zenith Billing", billing, w.billing_zenith[1], billing_company=zenith, group=full
    )
    add_user(
        db,
        gt,
        w.billing_standard[0],
        "ACME Billing (standard!)",
        UserType.STANDARD,
        w.billing_standard[1],
        billing_company=acme,
        group=full,
    )
    add_user(db, gt, w.staff_admin[0], "Gina Admin", UserType.STANDARD, w.staff_admin[1], group=full)
    directory = {}
    for name, kind in (
        ("Self", "self"),
        ("Blue Shield", "insurance"),
        ("Medicaid", "insurance"),
        ("County Agency", "agency"),
        ("Jordan Parent", "individual"),
    ):
        directory[name] = Payer(company_id=gt.id, name=name, payer_type=kind)
        db.add(directory[name])
    db.flush()
    rivera = _client(db, gt, "Ana", "Rivera", "GT-1001")
    chen = _client(db, gt, "Ben", "Chen", "GT-1002")
    okafor = _client(db, gt, "Chi", "Okafor", "GT-1003")
    r_bs = add_client_payer(db, rivera, directory["Blue Shield"], 1, "difference_percent", "80.00")
    r_self = add_client_payer(db, rivera, directory["Self"], 2, "remainder")
    c_self = add_client_payer(db, chen, directory["Self"], 1, "remainder")
    o_med = add_client_payer(db, okafor, directory["Medicaid"], 1, "per_diem", "150.00")
    o_cty = add_client_payer(db, okafor, directory["County Agency"], 2, "monthly", "400.00")
    o_self = add_client_payer(db, okafor, directory["Self"], 3, "remainder")
    auth = Authorization(
        client_id=okafor.id,
        client_payer_id=o_med.id,
        amount="1200.00",
        period="week",
        start=PAY_START,
        end=PAY_START + timedelta(days=364),
    )
    db.add(auth)
    now = clock.now()
    db.execute(
        insert(AuditRow),
        [
            {
                "company_id": gt.id,
                "occurred_at": now,
                "action": AuditAction.LOGIN,
                "user_id": "gt.admin",
                "user_name": "Gina Admin",
                "user_type": "standard",
                "ip_address": "10.0.0.5",
                "source_port": 50211,
                "platform": "Chrome",
                "os": "Windows 10",
            },
            {
                "company_id": gt.id,
                "occurred_at": now,
                "action": AuditAction.VIEW,
                "entity_type": "client",
                "entity_id": str(rivera.id),
                "user_id": "gt.admin",
                "user_name": "Gina Admin",
                "user_type": "standard",
                "ip_address": "10.0.0.5",
                "source_port": 50211,
                "platform": "Chrome",
                "os": "Windows 10",
            },
            {
                "company_id": gt.id,
                "occurred_at": now,
                "action": AuditAction.LOGOUT,
                "user_id": "gt.admin",
                "user_name": "Gina Admin",
                "user_type": "standard",
                "ip_address": "10.0.0.5",
                "source_port": 50211,
                "platform": "Chrome",
                "os": "Windows 10",
            },
        ],
    )

    cw = add_company(db, w.calm_waters, w.calm_waters_name, CompanyKind.CUSTOMER)
    cw_full = add_group(db, cw, GROUP_FULL, ALL_PERMISSIONS)
    add_group(db, cw, GROUP_READ_ONLY, READ_ONLY_PERMISSIONS)
    add_user(
        db,
        cw,
        w.cw_billing_full[0],
        "ACME Billing (full)",
        billing,
        w.cw_billing_full[1],
        billing_company=acme,
        group=cw_full,
    )
    cw_self = Payer(company_id=cw.id, name="Self", payer_type="self")
    db.add(cw_self)
    db.flush()
    cw_clients = [_client(db, cw, "Dana", "Lake", "CW-2001"), _client(db, cw, "Eli", "Brook", "CW-2002")]
    cw_cps = [add_client_payer(db, c, cw_self, 1, "remainder") for c in cw_clients]
    db.flush()
    return TestWorld(
        payer_ids=tuple((name, str(p.id)) for name, p in directory.items()),
        rivera_id=str(rivera.id),
        chen_id=str(chen.id),
        okafor_id=str(okafor.id),
        rivera_blue_shield_cp=str(r_bs.id),
        rivera_self_cp=str(r_self.id),
        chen_self_cp=str(c_self.id),
        okafor_medicaid_cp=str(o_med.id),
        okafor_county_cp=str(o_cty.id),
        okafor_self_cp=str(o_self.id),
        okafor_authorization_id=str(auth.id),
        cw_client_ids=tuple(str(c.id) for c in cw_clients),
        cw_self_cps=tuple(str(cp.id) for cp in cw_cps),
    )
