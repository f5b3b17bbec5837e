"""Password hashing (argon2id with deliberately low cost: this is a sandbox seeding thousands)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("sandbox-dummy-password")


def burn_time(password: str) -> None:
    """Verify against a dummy hash so that unknown users cost as much time as known ones."""
    verify_password(_dummy_hash(), password)
