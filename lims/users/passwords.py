"""Password hashing with Argon2id (OWASP's first choice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

_PRODUCTION = PasswordHasher()
# Test suites hash hundreds of passwords; the algorithm is the same, only cheaper.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("PASSWORD_HASH_FAST"):
        return _FAST
    return _PRODUCTION


def check_password_policy(password: str) -> None:
    """Raise ValueError (Chinese message) when the password is too weak."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"密码至少 {MIN_LENGTH} 位")
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 3:
        raise ValueError("密码须包含大写字母、小写字母、数字、符号中的至少三类")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _PRODUCTION.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[int, str] = {}


def dummy_verify(password: str) -> None:
    """Spend the time of a real verification (for unknown users: no timing oracle)."""
    hasher = _hasher()
    dummy = _DUMMY_HASHES.get(id(hasher))
    if dummy is None:
        dummy = _DUMMY_HASHES[id(hasher)] = hasher.hash("dummy-password-never-valid")
    verify_password(dummy, password or "")
