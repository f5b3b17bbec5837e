"""One-time notices (a new account's initial password) kept sealed until the admin's next page.

Flask's session cookie is signed, not encrypted: a password flashed the usual way would sit
readable in the admin's cookie until the next page renders.  Here it travels sealed by the vault
(AES-GCM, bound to the admin who caused it) and is unsealed and dropped by the page that shows it.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from flask import session
from flask_login import current_user

from hub import vault

_KEY = "one_time_notice"


class Notice(NamedTuple):
    """A message with the one value (e.g. an initial password) shown as code beside it."""

    before: str
    code: str
    after: str


def _context() -> str:
    return f"admin.one_time_notice:{current_user.get_id()}"


def keep(notice: Notice) -> None:
    """Hold ``notice`` for the next admin page this user sees."""
    session[_KEY] = vault.seal(json.dumps(list(notice)), context=_context())


def keep_initial_password(email: str, password: str) -> None:
    """Hold a new account's one-time initial password for the next page (the only place it is shown)."""
    keep(Notice(f"Initial password for {email}:", password, "— shown only now; it must be changed at first login."))


def hold_initial_password(user: Any, password: str) -> None:
    """Leave a just-created account's initial password on the model until its create has committed."""
    user._initial_password = password


def announce_initial_password(user: Any, is_created: bool) -> None:
    """After a create committed: the one-time notice of the password :func:`hold_initial_password` left."""
    initial = getattr(user, "_initial_password", None)
    if is_created and initial:
        del user._initial_password
        keep_initial_password(user.email, initial)


def pop() -> Notice | None:
    """The pending notice, once; None when there is none (or it was not sealed for this user)."""
    sealed = session.pop(_KEY, None)
    if not sealed or not current_user.is_authenticated:
        return None
    try:
        return Notice(*json.loads(vault.unseal(sealed, context=_context())))
    except (vault.VaultError, ValueError, TypeError):
        return None
