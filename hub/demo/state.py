"""The demo's data folder: both SQLite databases and ``demo.json`` (keys, ports, logins of this world).

The secret key, the vault key ring and the hub passwords are random per data folder, so no usable
secret ships with the repository; the file is written readable by its owner only.  ``complete`` is
set once the world is fully built, so an interrupted build is started over on the next run.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "demo.json"
HUB_DB = "hub.sqlite3"
SANDBOX_DB = "sandbox.sqlite3"
#: everything the demo writes into its data folder (``--reset`` removes these and nothing else)
OWNED_FILES = (STATE_FILE, HUB_DB, SANDBOX_DB)


@dataclass
class Login:
    """One printed demo login (hub account, plus the sandbox Restricted account of an agent)."""

    role: str
    name: str
    email: str
    password: str
    restricted_user_id: str = ""
    restricted_password: str = ""
    totp_secret: str = ""
    note: str = ""


@dataclass
class DemoState:
    """What a built world needs to be served again."""

    secret_key: str
    vault_keys: str
    sandbox_port: int = 0
    tenants: int = 0
    events_per_tenant: int = 0
    complete: bool = False
    logins: list[Login] = field(default_factory=list)
    check_tenant: str = ""  # name of a healthy tenant every agent may enter (the --check journey)
    problems: dict[str, str] = field(default_factory=dict)  # tenant name -> its deliberate problem

    @classmethod
    def fresh(cls) -> DemoState:
        """New random keys for a new world."""
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        return cls(secret_key=secrets.token_urlsafe(48), vault_keys=f"demo1:{key}")


def hub_password() -> str:
    """A random password for a demo hub account (printed in the banner)."""
    return "demo-" + secrets.token_urlsafe(9)


class DataDir:
    """The demo's data folder and the files in it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()

    @property
    def hub_url(self) -> str:
        """SQLAlchemy URL of the hub database."""
        return f"sqlite:///{self.path / HUB_DB}"

    @property
    def sandbox_url(self) -> str:
        """SQLAlchemy URL of the sandbox database."""
        return f"sqlite:///{self.path / SANDBOX_DB}"

    def reset(self) -> None:
        """Remove the demo's own files (databases with their WAL/journal files, and the state)."""
        if not self.path.is_dir():
            return
        for name in OWNED_FILES:
            for suffix in ("", "-wal", "-shm", "-journal"):
                (self.path / f"{name}{suffix}").unlink(missing_ok=True)

    def load(self) -> DemoState | None:
        """The state of a completely built world, or None."""
        try:
            data: dict[str, Any] = json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
            data["logins"] = [Login(**item) for item in data.get("logins", [])]
            state = DemoState(**data)
        except (OSError, ValueError, TypeError):
            return None
        if not state.complete or not (self.path / HUB_DB).exists() or not (self.path / SANDBOX_DB).exists():
            return None
        return state

    def save(self, state: DemoState) -> None:
        """Write the state, readable by the owner only."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / STATE_FILE
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(state), handle, indent=2)
