"""Password hashing with Argon2id (argon2-cffi's defaults, a memory-hard KDF)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
MIN_LENGTH = 8


class WeakPasswordError(ValueError):
    """A password shorter than MIN_LENGTH characters."""


def hash_password(password: str) -> str:
    """An Argon2id hash string of `password` (salted; raises WeakPasswordError when too short)."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password shorter than {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """True when `password` matches `hashed`; False for a mismatch or a malformed hash."""
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Verified against when a user name is unknown, so unknown and known names take the same time.
DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")
