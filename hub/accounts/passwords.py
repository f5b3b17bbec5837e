"""argon2id password hashing with the policy of the vendor and NIST SP 800-63B."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

#: a few of the most common passwords; the policy refuses them whatever their length
COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop",
        "iloveyou", "sunshine", "princess", "football", "baseball", "welcome1", "letmein1", "admin123",
        "passw0rd", "p@ssw0rd", "trustno1", "abc12345", "changeme", "qwerty123", "11111111", "00000000",
    }
)


def _hasher() -> PasswordHasher:
    # argon2-cffi defaults (RFC 9106 low-memory profile) unless the app asks for other costs;
    # tests lower them for speed, production may only raise them
    if has_app_context():
        cfg = current_app.config
        return PasswordHasher(
            time_cost=cfg.get("ARGON2_TIME_COST", 3),
            memory_cost=cfg.get("ARGON2_MEMORY_COST", 65536),
            parallelism=cfg.get("ARGON2_PARALLELISM", 4),
            type=Type.ID,
        )
    return PasswordHasher(type=Type.ID)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a malformed hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


#: a hash to verify against when the account does not exist, so timing does not tell
def dummy_hash() -> str:
    """A valid hash of a random value under the current parameters (cached per parameters)."""
    h = _hasher()
    key = (h.time_cost, h.memory_cost, h.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = h.hash("not-a-real-password-" + str(key))
    return _DUMMY[key]


_DUMMY: dict[tuple[int, int, int], str] = {}


def password_problems(password: str, *, min_length: int = 8, max_length: int = 128) -> list[str]:
    """What is wrong with a new password (empty when acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Use at least {min_length} characters.")
    if len(password) > max_length:
        problems.append(f"Use at most {max_length} characters.")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("This password is too common.")
    return problems
