"""argon2id password hashing, above OWASP's minimum (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

import argon2

MIN_LENGTH, MAX_LENGTH = 8, 1024
TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 1

_hasher = argon2.PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=argon2.Type.ID
)
# Verified against when the account does not exist, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")
# The stored hash of an account made by single sign-on: no password signs in to it.
NO_PASSWORD = "!no-password"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    if stored_hash == NO_PASSWORD:
        stored_hash = None  # refused after the same work as an unknown account
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
