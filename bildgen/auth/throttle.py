"""Sign-in attempts limited by token buckets that refill over time (like PhotoPrism's login limiter);
`take` gives the same buckets to other limits (an API token's requests).

Every attempt takes a token from two buckets *before* the password is checked, and a correct
password gives them back; so in effect the buckets count failures, and a run of typos is forgiven
as they refill. Keys are chosen so that an attacker cannot lock anyone else out:

- `PAIR`, one account name from one client address: tight. Guessing one account from one address
  gets a few tries, then one a minute. Someone guessing Anna's password elsewhere does not touch
  Anna's own bucket, so it never locks Anna out.
- `ADDRESS`, one client address, any account names: looser, because many people may share an
  address (an office, a reverse proxy without BILDGEN_TRUSTED_PROXY_HOPS). It bounds how fast one
  address can guess across many accounts. IPv6 addresses count per /64, what one client usually holds.

Many addresses guessing one account are bounded by argon2's cost per check, not by a lock-out.
Unknown names are throttled exactly like real ones, so the throttle reveals no accounts.

Taking a token is one conditional UPDATE (refill, test and take in a single statement), so
simultaneous attempts cannot both take the last token, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import math
import time

import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite

from bildgen.store.models import SignInBucket


@dataclasses.dataclass(frozen=True)
class Bucket:
    name: str
    capacity: int
    refill_every_s: int


PAIR = Bucket("pair", capacity=5, refill_every_s=60)
ADDRESS = Bucket("address", capacity=30, refill_every_s=20)


def address_group(address: str) -> str:
    """The unit one client controls: an IPv4 address, or an IPv6 /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _key(bucket: Bucket, *parts: str) -> str:
    # Hashed: typed names (sometimes a password typed into the wrong field) are never stored.
    return hashlib.sha256("\0".join((bucket.name, *parts)).encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class Keys:
    pair: str
    address: str

    @classmethod
    def of(cls, username: str, address: str) -> Keys:
        group = address_group(address)
        return cls(pair=_key(PAIR, username.strip().lower(), group), address=_key(ADDRESS, group))

    def with_buckets(self) -> tuple[tuple[str, Bucket], ...]:
        return ((self.pair, PAIR), (self.address, ADDRESS))


_table = SignInBucket.__table__
_tokens, _refilled_at = _table.c.tokens, _table.c.refilled_at


def _smaller(a, b):  # type: ignore[no-untyped-def]
    # min(a, b) in SQL that SQLite and PostgreSQL both understand (one has min(), the other least()).
    return sqlalchemy.case((a < b, a), else_=b)


def _refilled(bucket: Bucket, now: float):  # type: ignore[no-untyped-def]
    elapsed = sqlalchemy.case((_refilled_at < now, now - _refilled_at), else_=0.0)
    return _smaller(_tokens + elapsed / bucket.refill_every_s, float(bucket.capacity))


def _moved_on_to(now: float):  # type: ignore[no-untyped-def]
    # Never backwards: another worker's clock may run a little ahead of this one's.
    return sqlalchemy.case((_refilled_at < now, now), else_=_refilled_at)


def _insert_full_unless_present(connection: sqlalchemy.Connection, key: str, bucket: Bucket, now: float) -> None:
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    statement = dialect.insert(_table).values(key=key, tokens=float(bucket.capacity), refilled_at=now)
    connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


def _take(connection: sqlalchemy.Connection, key: str, bucket: Bucket, now: float) -> bool:
    _insert_full_unless_present(connection, key, bucket, now)
    refilled = _refilled(bucket, now)
    taken = connection.execute(
        sqlalchemy.update(_table)
        .where(_table.c.key == key, refilled >= 1.0)
        .values(tokens=refilled - 1.0, refilled_at=_moved_on_to(now))
    )
    return taken.rowcount == 1


def _seconds_until_a_token(connection: sqlalchemy.Connection, key: str, bucket: Bucket, now: float) -> int:
    tokens = connection.execute(sqlalchemy.select(_refilled(bucket, now)).where(_table.c.key == key)).scalar()
    if tokens is None or tokens >= 1.0:
        return 0
    return max(1, math.ceil((1.0 - tokens) * bucket.refill_every_s - 1e-6))


def reserve(engine: sqlalchemy.Engine, keys: Keys, now: float | None = None) -> int:
    """Take one attempt from both buckets, or none: 0 if taken, else the seconds to wait."""
    now = time.time() if now is None else now
    with engine.connect() as connection:
        with connection.begin() as transaction:
            if all(_take(connection, key, bucket, now) for key, bucket in keys.with_buckets()):
                return 0
            transaction.rollback()  # the pair's token goes back when the address's bucket is empty
        waits = [_seconds_until_a_token(connection, key, bucket, now) for key, bucket in keys.with_buckets()]
        connection.rollback()
    return max(1, *waits)


def take(engine: sqlalchemy.Engine, bucket: Bucket, *key_parts: str, now: float | None = None) -> int:
    """One token from a single bucket (e.g. an API token's requests): 0 if taken, else the seconds
    until the next one. The key is hashed like the sign-in buckets'."""
    now = time.time() if now is None else now
    key = _key(bucket, *key_parts)
    with engine.connect() as connection:
        with connection.begin():
            if _take(connection, key, bucket, now):
                return 0
        wait = _seconds_until_a_token(connection, key, bucket, now)
        connection.rollback()
    return max(1, wait)


def succeeded(engine: sqlalchemy.Engine, keys: Keys, now: float | None = None) -> None:
    """A correct password: its pair's typos are forgiven, and the address gets its token back.

    Only the token: one good password (an attacker's own account, say) must not refill an address.
    """
    now = time.time() if now is None else now
    with engine.begin() as connection:
        connection.execute(sqlalchemy.delete(_table).where(_table.c.key == keys.pair))
        connection.execute(
            sqlalchemy.update(_table)
            .where(_table.c.key == keys.address)
            .values(
                tokens=_smaller(_refilled(ADDRESS, now) + 1.0, float(ADDRESS.capacity)), refilled_at=_moved_on_to(now)
            )
        )


def forget_full_buckets(engine: sqlalchemy.Engine, now: float | None = None) -> int:
    """Delete buckets untouched long enough to be full again (a missing bucket counts as full).

    Every name tried from every address leaves a row; this keeps the table from growing for ever.
    Returns how many were deleted.
    """
    now = time.time() if now is None else now
    idle_s = max(bucket.capacity * bucket.refill_every_s for bucket in (PAIR, ADDRESS))
    with engine.begin() as connection:
        return connection.execute(sqlalchemy.delete(_table).where(_refilled_at < now - idle_s)).rowcount
