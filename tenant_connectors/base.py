"""The one contract between the hub and a tenant system.

Everything that crosses between the hub and a tenant is declared here: the abstract
:class:`TenantConnector`, the frozen dataclasses that travel through it and the typed error
hierarchy.  Adapters (the HTTP connector, a future vendor adapter) subclass the connector and
register under a slug; the hub only ever talks to this module and the registry.

Secrets (passwords, TOTP codes, session tokens) are held in fields declared with
``repr=False`` so that they never appear in a log line, a traceback or an assertion message.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

# --------------------------------------------------------------------------- vocabulary


class UserType(enum.StrEnum):
    """The vendor's user types."""

    STANDARD = "standard"
    RESTRICTED = "restricted"
    BILLING = "billing"


class CompanyKind(enum.StrEnum):
    """A company in the vendor's system is a customer (tenant) or a registered billing company."""

    CUSTOMER = "customer"
    BILLING_COMPANY = "billing_company"


class PayerRank(enum.IntEnum):
    """Billing order of a client's payers; at most five ranks share an invoice."""

    PRIMARY = 1
    SECONDARY = 2
    TERTIARY = 3
    QUATERNARY = 4
    QUINARY = 5

    @property
    def label(self) -> str:
        """The rank as the screens spell it ("Primary")."""
        return self.name.title()


class Distribution(enum.StrEnum):
    """How a client payer's portion of an invoice is computed."""

    PER_DIEM = "per_diem"  #: amount per calendar day of service
    DIFFERENCE_PERCENT = "difference_percent"  #: percentage of the invoice total
    DIFFERENCE_AMOUNT = "difference_amount"  #: dollar amount of the invoice total
    VISIT = "visit"  #: amount per visit
    WEEKLY = "weekly"  #: amount per (ISO) week
    MONTHLY = "monthly"  #: amount per calendar month
    REMAINDER = "remainder"  #: whatever is left after all others

    @property
    def label(self) -> str:
        """Screen label ("Per Diem", "Difference %")."""
        return _DISTRIBUTION_LABELS[self]


_DISTRIBUTION_LABELS = {
    Distribution.PER_DIEM: "Per Diem",
    Distribution.DIFFERENCE_PERCENT: "Difference %",
    Distribution.DIFFERENCE_AMOUNT: "Difference $",
    Distribution.VISIT: "Visit",
    Distribution.WEEKLY: "Weekly",
    Distribution.MONTHLY: "Monthly",
    Distribution.REMAINDER: "Remainder",
}


class PayerStatus(enum.StrEnum):
    """Status of a client payer; only Active payers take part in billing."""

    ACTIVE = "active"
    HOLD = "hold"
    PENDING = "pending"
    INACTIVE = "inactive"


class AuthorizationPeriod(enum.StrEnum):
    """Period over which a client authorization's amount is pre-approved."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class AuditAction(enum.StrEnum):
    """Actions in the tenant's Audit Report."""

    LOGIN = "login"
    PROXY_LOGIN = "proxy_login"  #: Billing user acting on behalf of a Restricted user
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    STATUS_CHANGE = "status_change"


class Permission(enum.StrEnum):
    """Permissions a tenant permission group may grant."""

    CLIENTS_READ = "clients:read"
    PAYERS_READ = "payers:read"
    PAYERS_WRITE = "payers:write"
    AUTHORIZATIONS_READ = "authorizations:read"
    AUDIT_READ = "audit:read"
    USERS_READ = "users:read"


# --------------------------------------------------------------------------- identities and login


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A company as named by the tenant system."""

    company_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Identity:
    """A user account in a vendor system (the Billing user, or the Restricted user it acts for)."""

    user_id: str
    display_name: str
    user_type: UserType
    company: CompanyRef


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where the person behind a login sits; recorded in the tenant's audit report."""

    ip_address: str | None = None
    platform: str | None = None
    os: str | None = None


@dataclass(frozen=True, slots=True)
class SecondaryChallenge:
    """The tenant's answer to a Billing login: verify a Restricted user of this billing company."""

    challenge_id: str = field(repr=False)
    billing_company: CompanyRef
    billing_user: Identity
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SeatStatus:
    """How the tenant counts the Billing account: a correctly typed Billing user is not charged."""

    user_type: UserType
    charged: bool


@dataclass(frozen=True, slots=True)
class TenantSession:
    """An open tenant session: "Billing user X on behalf of Restricted user Y"."""

    token: str = field(repr=False)
    expires_at: datetime
    billing_user: Identity
    #: the Restricted user verified by the secondary login; None when the account logged straight
    #: in (a Billing-named account misconfigured as Standard)
    acting_for: Identity | None
    permissions: frozenset[str]
    seat: SeatStatus
    tenant: CompanyRef

    @property
    def is_proxy(self) -> bool:
        """True when the session acts on behalf of a second identity."""
        return self.acting_for is not None

    def allows(self, permission: str) -> bool:
        """Whether the Billing user's permission group grants ``permission``."""
        return permission in self.permissions


LoginStep = SecondaryChallenge | TenantSession

# --------------------------------------------------------------------------- clients and payers


@dataclass(frozen=True, slots=True)
class Client:
    """A client (patient) of the tenant, reduced to what billing needs."""

    client_id: str
    first_name: str
    last_name: str
    account_number: str
    active: bool

    @property
    def display_name(self) -> str:
        """"Last, First" as the vendor lists clients."""
        return f"{self.last_name}, {self.first_name}"


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of a client search."""

    items: tuple[Client, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class Payer:
    """An entry of the tenant's payer directory (an insurer, an agency, a person)."""

    payer_id: str
    name: str
    payer_type: str
    active: bool


@dataclass(frozen=True, slots=True)
class ClientPayer:
    """A payer attached to a client with its rank, distribution and status."""

    client_payer_id: str
    client_id: str
    payer_id: str
    payer_name: str
    rank: PayerRank
    distribution: Distribution
    #: dollars (or percent for Difference %); None for Remainder
    amount: Decimal | None
    #: 0 = Monday .. 6 = Sunday; Weekly only
    week_start_day: int | None
    pay_start: date
    pay_end: date | None
    status: PayerStatus

    @property
    def is_remainder(self) -> bool:
        """True for the client's (active) Remainder payer."""
        return self.distribution is Distribution.REMAINDER and self.status is PayerStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class NewClientPayer:
    """What it takes to attach a directory payer to a client."""

    payer_id: str
    rank: PayerRank
    distribution: Distribution
    amount: Decimal | None
    pay_start: date
    pay_end: date | None = None
    week_start_day: int | None = None


@dataclass(frozen=True, slots=True)
class ClientPayerChange:
    """A partial edit of a client payer; None means "leave as it is"."""

    rank: PayerRank | None = None
    distribution: Distribution | None = None
    amount: Decimal | None = None
    pay_start: date | None = None
    pay_end: date | None = None
    week_start_day: int | None = None


@dataclass(frozen=True, slots=True)
class StatusChangeRequest:
    """Move a client payer to another status; leaving Active requires a note."""

    status: PayerStatus
    effective_date: date
    note: str = ""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of a client payer's status history."""

    old_status: PayerStatus | None
    new_status: PayerStatus
    effective_date: date
    note: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class RemainderMove:
    """Make one payer the client's Remainder payer in a single step.

    Either ``client_payer_id`` (an existing client payer becomes the Remainder) or ``new_payer``
    (a directory payer is attached as the Remainder) is given.  The previous Remainder payer is
    either made inactive (``previous_status``) or changed to ``previous_distribution`` /
    ``previous_amount``; the tenant applies it atomically so that exactly one active Remainder
    exists at every moment it can see.
    """

    note: str
    effective_date: date
    client_payer_id: str | None = None
    new_payer: NewClientPayer | None = None
    previous_status: PayerStatus = PayerStatus.INACTIVE
    previous_distribution: Distribution | None = None
    previous_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    """An amount per period pre-approved by a payer that scheduling must not exceed."""

    authorization_id: str
    client_id: str
    client_payer_id: str
    payer_id: str
    amount: Decimal
    period: AuthorizationPeriod
    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class BillingAccount:
    """A Billing-company account in the tenant, as the seat check sees it."""

    user_id: str
    display_name: str
    user_type: UserType
    billing_company: CompanyRef | None
    permission_group: str
    charged: bool

    @property
    def misconfigured(self) -> bool:
        """A billing-company account that the tenant charges as a seat."""
        return self.charged


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One row of the tenant's Audit Report."""

    event_id: str
    occurred_at: datetime
    action: str
    entity_type: str | None
    entity_id: str | None
    #: the account that logged in (the Billing user for third-party access)
    user_id: str | None
    user_name: str | None
    user_type: UserType | None
    #: the Restricted user the Billing user acted for, and their billing company
    on_behalf_of_user_id: str | None
    on_behalf_of_name: str | None
    billing_company: CompanyRef | None
    proxy: bool
    ip_address: str | None
    source_port: int | None
    platform: str | None
    os: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of audit events after an opaque cursor; pass ``next_cursor`` to continue."""

    items: tuple[AuditEvent, ...]
    next_cursor: str | None
    has_more: bool


# --------------------------------------------------------------------------- errors


class TenantError(Exception):
    """Base of every error a connector raises; the message never carries a secret."""

    code: ClassVar[str] = "tenant_error"

    def __init__(self, message: str, *, tenant: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tenant = tenant


class AuthenticationFailed(TenantError):
    """Credentials refused; ``reason`` says which step (never which secret)."""

    code = "authentication_failed"

    def __init__(self, message: str, *, reason: str = "invalid_credentials", tenant: str | None = None) -> None:
        super().__init__(message, tenant=tenant)
        #: invalid_credentials | locked | totp_required | totp_invalid | challenge_expired
        self.reason = reason


class TotpRequired(AuthenticationFailed):
    """The Restricted account has two-factor enabled and no (or a wrong) code was given."""

    code = "totp_required"


class SessionExpired(AuthenticationFailed):
    """The tenant session token expired or was ended."""

    code = "session_expired"


class SecondaryAuthenticationRequired(TenantError):
    """The tenant asks for the billing company's Restricted credentials before opening a session."""

    code = "secondary_required"

    def __init__(self, challenge: SecondaryChallenge, *, tenant: str | None = None) -> None:
        super().__init__(
            f"secondary authentication against {challenge.billing_company.name} required", tenant=tenant
        )
        self.challenge = challenge


class PermissionDenied(TenantError):
    """The Billing user's permission group does not allow the call."""

    code = "permission_denied"

    def __init__(self, message: str, *, permission: str | None = None, tenant: str | None = None) -> None:
        super().__init__(message, tenant=tenant)
        self.permission = permission


class NotFound(TenantError):
    """The tenant has no such object (or does not show it to this session)."""

    code = "not_found"


class ValidationFailed(TenantError):
    """The tenant refused the data; ``field_errors`` maps field names to messages."""

    code = "validation_failed"

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, tuple[str, ...]] | None = None,
        tenant: str | None = None,
    ) -> None:
        super().__init__(message, tenant=tenant)
        self.field_errors: Mapping[str, tuple[str, ...]] = dict(field_errors or {})


class TenantUnavailable(TenantError):
    """The tenant could not be reached in time or failed on its side."""

    code = "tenant_unavailable"


class TenantTimeout(TenantUnavailable):
    """No (complete) answer within the configured timeout."""

    code = "tenant_timeout"


class TenantConnectionError(TenantUnavailable):
    """Connection refused, reset or not established."""

    code = "tenant_connection_error"


class TenantServerError(TenantUnavailable):
    """The tenant answered 5xx or 429."""

    code = "tenant_server_error"

    def __init__(self, message: str, *, status_code: int, tenant: str | None = None) -> None:
        super().__init__(message, tenant=tenant)
        self.status_code = status_code


class TenantProtocolError(TenantError):
    """The tenant answered something the contract does not allow (HTML, bad JSON, wrong shape)."""

    code = "tenant_protocol_error"


# --------------------------------------------------------------------------- the connector


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time bounds for every call to a tenant, in seconds."""

    connect: float = 3.0
    read: float = 10.0
    #: upper bound on one whole call including retries
    total: float = 20.0


class TenantConnector(abc.ABC):
    """The port through which the hub reaches one tenant system.

    A connector instance is bound to one tenant's base URL; it is cheap to keep and reuse
    (adapters pool their connections).  Every method either returns contract data or raises a
    :class:`TenantError` subclass; nothing else escapes.
    """

    #: registry name stored on the hub's tenant record
    slug: ClassVar[str]
    #: human name shown in the admin screens
    title: ClassVar[str]

    def __init__(self, base_url: str, *, timeouts: Timeouts | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()

    # -- two-part login
    @abc.abstractmethod
    def begin_login(self, username: str, password: str, *, client: ClientInfo | None = None) -> LoginStep:
        """Log in with a Billing credential; a third-party account answers with a challenge."""

    @abc.abstractmethod
    def complete_secondary(
        self,
        challenge: SecondaryChallenge,
        username: str,
        password: str,
        *,
        totp_code: str | None = None,
        client: ClientInfo | None = None,
    ) -> TenantSession:
        """Verify the Restricted user against the billing company and open the session."""

    @abc.abstractmethod
    def current_session(self, token: str) -> TenantSession:
        """Describe the session behind ``token`` (raises :class:`SessionExpired` if it ended)."""

    @abc.abstractmethod
    def logout(self, session: TenantSession) -> None:
        """End the tenant session."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Check the tenant answers at all (no credentials involved)."""

    # -- clients and payers
    @abc.abstractmethod
    def list_clients(
        self, session: TenantSession, *, search: str | None = None, offset: int = 0, limit: int = 50
    ) -> ClientPage:
        """Search the tenant's clients."""

    @abc.abstractmethod
    def get_client(self, session: TenantSession, client_id: str) -> Client:
        """One client."""

    @abc.abstractmethod
    def list_payers(self, session: TenantSession) -> tuple[Payer, ...]:
        """The tenant's payer directory."""

    @abc.abstractmethod
    def list_client_payers(self, session: TenantSession, client_id: str) -> tuple[ClientPayer, ...]:
        """A client's payers (every status) in rank order."""

    @abc.abstractmethod
    def add_client_payer(self, session: TenantSession, client_id: str, new: NewClientPayer) -> ClientPayer:
        """Attach a directory payer; a new Primary pushes the others down a rank."""

    @abc.abstractmethod
    def update_client_payer(
        self, session: TenantSession, client_id: str, client_payer_id: str, change: ClientPayerChange
    ) -> ClientPayer:
        """Edit rank, distribution, amount or dates of a client payer."""

    @abc.abstractmethod
    def change_client_payer_status(
        self, session: TenantSession, client_id: str, client_payer_id: str, request: StatusChangeRequest
    ) -> ClientPayer:
        """Change status (Active, Hold, Pending, Inactive); leaving Active needs a note."""

    @abc.abstractmethod
    def status_history(
        self, session: TenantSession, client_id: str, client_payer_id: str
    ) -> tuple[StatusChange, ...]:
        """Every status change of a client payer, oldest first."""

    @abc.abstractmethod
    def move_remainder(self, session: TenantSession, client_id: str, move: RemainderMove) -> tuple[ClientPayer, ...]:
        """Make another payer the Remainder payer atomically; returns the client's payers."""

    @abc.abstractmethod
    def list_authorizations(self, session: TenantSession, client_id: str) -> tuple[Authorization, ...]:
        """A client's authorizations."""

    # -- audit and seats
    @abc.abstractmethod
    def read_audit(self, session: TenantSession, *, cursor: str | None = None, limit: int = 500) -> AuditPage:
        """Audit events after ``cursor`` (None: from the start), oldest first."""

    @abc.abstractmethod
    def list_billing_accounts(self, session: TenantSession) -> tuple[BillingAccount, ...]:
        """The tenant's billing-company accounts with their seat status."""

    def close(self) -> None:  # noqa: B027 - optional hook, most adapters have nothing to release
        """Release pooled connections."""
