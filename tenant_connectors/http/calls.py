"""One JSON call to a tenant: path from a template, reply to contract data or a typed error.

:class:`JsonApi` sits between the connector's methods and
:class:`~tenant_connectors.http.transport.TenantTransport`: it fills path templates with quoted ids,
refuses redirects, maps failed replies through :func:`~tenant_connectors.http.errors.error_for` and
builds successful ones with a :mod:`~tenant_connectors.http.parse` builder, turning every shape
problem into :class:`~tenant_connectors.base.TenantProtocolError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from tenant_connectors.base import NotFound, TenantProtocolError
from tenant_connectors.http.errors import Scrubber, error_for
from tenant_connectors.http.fields import Fields, ReplyShapeError, decode_json
from tenant_connectors.http.transport import TenantTransport

T = TypeVar("T")
Params = Mapping[str, str | int]


def tenant_label(base_url: str) -> str:
    """``host[:port]/path`` of a base URL: names the tenant in errors and logs, never credentials."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("tenant base URL must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        # the URL itself is not echoed: it is exactly what might hold a credential
        raise ValueError("tenant base URL must not contain credentials, a query or a fragment")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return f"{host}{parts.path.rstrip('/')}"


def items(builder: Callable[[Fields], T]) -> Callable[[Fields], tuple[T, ...]]:
    """A builder for ``{"items": [...]}`` replies."""
    return lambda f: tuple(builder(item) for item in f.objects("items"))


class JsonApi:
    """Performs calls against one tenant base URL through a :class:`TenantTransport`."""

    def __init__(self, base_url: str, tenant: str, transport: TenantTransport) -> None:
        self._base_url = base_url
        self._tenant = tenant
        self._http = transport

    def path(self, template: str, ids: Mapping[str, str]) -> str:
        """``template`` with each ``{name}`` replaced by its quoted id."""
        for name, value in ids.items():
            # ids that could re-shape the path ("..", "a/b" is quoted) name nothing
            if not isinstance(value, str) or value in ("", ".", ".."):
                raise NotFound("no such object", tenant=self._tenant)
            template = template.replace("{" + name + "}", quote(value, safe=""))
        return template

    def call(
        self,
        method: str,
        template: str,
        builder: Callable[[Fields], T] | None,
        *,
        ids: Mapping[str, str] | None = None,
        token: str | None = None,
        body: Mapping[str, Any] | None = None,
        params: Params | None = None,
        secrets: tuple[str | None, ...] = (),
    ) -> T | None:
        """Perform ``method template``; build the reply with ``builder`` (None: no body wanted).

        ``secrets`` (and ``token``) are masked in any text the tenant sends back in an error.
        """
        call = f"{method} {template}"
        url = self._base_url + self.path(template, ids or {})
        reply = self._http.request(method, url, template=template, body=body, params=params, token=token)
        if 300 <= reply.status < 400:
            # never followed: a redirect to another host would carry the bearer token there
            raise TenantProtocolError(f"{call}: redirect ({reply.status}) refused", tenant=self._tenant)
        if not 200 <= reply.status < 300:
            scrub = Scrubber((token, *secrets))
            raise error_for(reply.status, reply.body, call=call, tenant=self._tenant, scrub=scrub)
        if builder is None:
            return None
        problem = "reply is not JSON"
        if "json" in reply.content_type.lower():
            try:
                return builder(Fields(decode_json(reply.body), ""))
            except ReplyShapeError as exc:
                problem = f"reply {exc}"
        # raised outside the except block: no chained context
        raise TenantProtocolError(f"{call}: {problem}", tenant=self._tenant)

    def fetch(self, method: str, template: str, builder: Callable[[Fields], T], **kwargs: Any) -> T:
        """:meth:`call` for replies that carry a body."""
        result = self.call(method, template, builder, **kwargs)
        assert result is not None  # a builder yields a value or raises
        return result
