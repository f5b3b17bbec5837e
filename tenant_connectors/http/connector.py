"""The HTTP connector: the tenant contract spoken over the documented JSON API (docs/tenant-api.md).

Each method names one endpoint (method and path template), encodes its input with :mod:`.encode`
and lets :class:`~tenant_connectors.http.calls.JsonApi` perform the call within the deadline and
turn the reply into contract data (:mod:`.parse`) or a typed error (:mod:`.errors`).  Nothing but
:class:`~tenant_connectors.base.TenantError` subclasses escapes a call.

Secrets (passwords, TOTP codes, challenge ids, bearer tokens) go only into request bodies and the
``Authorization`` header; never into URLs, log lines or exception text.
"""

from __future__ import annotations

from os import PathLike
from types import TracebackType
from typing import Any, ClassVar

import httpx

from tenant_connectors.base import (
    AuditPage,
    Authorization,
    BillingAccount,
    Client,
    ClientInfo,
    ClientPage,
    ClientPayer,
    ClientPayerChange,
    LoginStep,
    NewClientPayer,
    Payer,
    RemainderMove,
    SecondaryChallenge,
    StatusChange,
    StatusChangeRequest,
    TenantConnector,
    TenantProtocolError,
    TenantSession,
    Timeouts,
)
from tenant_connectors.http import encode, parse
from tenant_connectors.http.calls import JsonApi, items, tenant_label
from tenant_connectors.http.transport import DEFAULT_MAX_RESPONSE_BYTES, RetryPolicy, TenantTransport

_PAYER = "/clients/{client_id}/payers/{client_payer_id}"


class HttpTenantConnector(TenantConnector):
    """Talks to one tenant's JSON API over HTTP(S) with pooled connections and bounded calls."""

    slug: ClassVar[str] = "http"
    title: ClassVar[str] = "HTTP JSON tenant API"

    def __init__(
        self,
        base_url: str,
        *,
        timeouts: Timeouts | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: httpx.Limits | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        ca_bundle: str | PathLike[str] | None = None,
    ) -> None:
        """Bind to ``base_url`` (``{server}/t/{slug}/api/v1``).

        :param transport: an :class:`httpx.BaseTransport` to use instead of the network (tests).
        :param ca_bundle: extra trust anchors; TLS verification itself cannot be disabled.
        """
        super().__init__(base_url, timeouts=timeouts)
        #: ``host[:port]/path`` - how errors and log lines name this tenant
        self.tenant = tenant_label(self.base_url)
        self._http = TenantTransport(
            self.timeouts,
            tenant=self.tenant,
            transport=transport,
            retry=retry,
            limits=limits,
            max_response_bytes=max_response_bytes,
            ca_bundle=ca_bundle,
        )
        self._api = JsonApi(self.base_url, self.tenant, self._http)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.tenant}>"

    def __enter__(self) -> HttpTenantConnector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    # ------------------------------------------------------------------ two-part login

    def begin_login(self, username: str, password: str, *, client: ClientInfo | None = None) -> LoginStep:
        """``POST /auth/login``: a challenge for a Billing user, a session for a Standard one."""
        body: dict[str, Any] = {"username": username, "password": password}
        if client is not None:
            body["client"] = encode.client_info(client)
        return self._api.fetch("POST", "/auth/login", parse.login_step_from, body=body, secrets=(password,))

    def complete_secondary(
        self,
        challenge: SecondaryChallenge,
        username: str,
        password: str,
        *,
        totp_code: str | None = None,
        client: ClientInfo | None = None,
    ) -> TenantSession:
        """``POST /auth/secondary``: the Restricted user's credentials open the session."""
        body: dict[str, Any] = {"challenge_id": challenge.challenge_id, "username": username, "password": password}
        if totp_code is not None:
            body["totp_code"] = totp_code
        if client is not None:
            body["client"] = encode.client_info(client)
        secrets = (password, totp_code, challenge.challenge_id)
        step = self._api.fetch("POST", "/auth/secondary", parse.login_step_from, body=body, secrets=secrets)
        if not isinstance(step, TenantSession):
            raise TenantProtocolError("POST /auth/secondary: reply is not an open session", tenant=self.tenant)
        return step

    def current_session(self, token: str) -> TenantSession:
        """``GET /auth/session``."""
        return self._api.fetch("GET", "/auth/session", parse.session_from, token=token)

    def logout(self, session: TenantSession) -> None:
        """``POST /auth/logout`` (never retried)."""
        self._api.call("POST", "/auth/logout", None, token=session.token)

    def ping(self) -> None:
        """``GET /health``: the tenant answers and names itself."""
        self._api.fetch("GET", "/health", parse.health_from)

    # ------------------------------------------------------------------ clients and payers

    def list_clients(
        self, session: TenantSession, *, search: str | None = None, offset: int = 0, limit: int = 50
    ) -> ClientPage:
        """``GET /clients``."""
        params: dict[str, str | int] = {"offset": offset, "limit": limit}
        if search is not None:
            params["search"] = search
        return self._api.fetch("GET", "/clients", parse.client_page_from, token=session.token, params=params)

    def get_client(self, session: TenantSession, client_id: str) -> Client:
        """``GET /clients/{client_id}``."""
        ids = {"client_id": client_id}
        return self._api.fetch("GET", "/clients/{client_id}", parse.client_from, token=session.token, ids=ids)

    def list_payers(self, session: TenantSession) -> tuple[Payer, ...]:
        """``GET /payers``."""
        return self._api.fetch("GET", "/payers", items(parse.payer_from), token=session.token)

    def list_client_payers(self, session: TenantSession, client_id: str) -> tuple[ClientPayer, ...]:
        """``GET /clients/{client_id}/payers``."""
        builder = items(parse.client_payer_from)
        ids = {"client_id": client_id}
        return self._api.fetch("GET", "/clients/{client_id}/payers", builder, token=session.token, ids=ids)

    def add_client_payer(self, session: TenantSession, client_id: str, new: NewClientPayer) -> ClientPayer:
        """``POST /clients/{client_id}/payers``."""
        body = encode.new_client_payer(new)
        return self._api.fetch(
            "POST", "/clients/{client_id}/payers", parse.client_payer_from,
            token=session.token, ids={"client_id": client_id}, body=body,
        )  # fmt: skip

    def update_client_payer(
        self, session: TenantSession, client_id: str, client_payer_id: str, change: ClientPayerChange
    ) -> ClientPayer:
        """``PATCH /clients/{client_id}/payers/{client_payer_id}``."""
        ids = {"client_id": client_id, "client_payer_id": client_payer_id}
        body = encode.client_payer_change(change)
        return self._api.fetch("PATCH", _PAYER, parse.client_payer_from, token=session.token, ids=ids, body=body)

    def change_client_payer_status(
        self, session: TenantSession, client_id: str, client_payer_id: str, request: StatusChangeRequest
    ) -> ClientPayer:
        """``POST /clients/{client_id}/payers/{client_payer_id}/status``."""
        ids = {"client_id": client_id, "client_payer_id": client_payer_id}
        body = encode.status_change_request(request)
        return self._api.fetch(
            "POST", _PAYER + "/status", parse.client_payer_from, token=session.token, ids=ids, body=body
        )

    def status_history(self, session: TenantSession, client_id: str, client_payer_id: str) -> tuple[StatusChange, ...]:
        """``GET /clients/{client_id}/payers/{client_payer_id}/history``."""
        ids = {"client_id": client_id, "client_payer_id": client_payer_id}
        builder = items(parse.status_change_from)
        return self._api.fetch("GET", _PAYER + "/history", builder, token=session.token, ids=ids)

    def move_remainder(self, session: TenantSession, client_id: str, move: RemainderMove) -> tuple[ClientPayer, ...]:
        """``POST /clients/{client_id}/remainder``."""
        body = encode.remainder_move(move)
        return self._api.fetch(
            "POST", "/clients/{client_id}/remainder", items(parse.client_payer_from),
            token=session.token, ids={"client_id": client_id}, body=body,
        )  # fmt: skip

    def list_authorizations(self, session: TenantSession, client_id: str) -> tuple[Authorization, ...]:
        """``GET /clients/{client_id}/authorizations``."""
        builder = items(parse.authorization_from)
        ids = {"client_id": client_id}
        return self._api.fetch("GET", "/clients/{client_id}/authorizations", builder, token=session.token, ids=ids)

    # ------------------------------------------------------------------ audit and seats

    def read_audit(self, session: TenantSession, *, cursor: str | None = None, limit: int = 500) -> AuditPage:
        """``GET /audit`` after an opaque cursor."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return self._api.fetch("GET", "/audit", parse.audit_page_from, token=session.token, params=params)

    def list_billing_accounts(self, session: TenantSession) -> tuple[BillingAccount, ...]:
        """``GET /billing-accounts``."""
        builder = items(parse.billing_account_from)
        return self._api.fetch("GET", "/billing-accounts", builder, token=session.token)
