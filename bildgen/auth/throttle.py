"""Growing waits after failed sign-ins, per account name and per client address.

An account name starts to wait after a few failures, a client address (which many people may
share) after more; the wait doubles with each further failure, up to a cap. Unknown names are
throttled exactly like real ones, so the throttle does not reveal which accounts exist.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import sqlalchemy

from bildgen.store.db import session
from bildgen.store.models import SignInThrottle, utc_now

FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 20
FIRST_WAIT_S = 2
MAX_WAIT_S = 15 * 60


@dataclasses.dataclass(frozen=True)
class Keys:
    account: str
    address: str

    @classmethod
    def of(cls, username: str, address: str) -> Keys:
        return cls(account=f"account:{username.strip().lower()}", address=f"address:{address}")


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utc_now().tzinfo)


def seconds_to_wait(engine: sqlalchemy.Engine, keys: Keys, now: datetime | None = None) -> int:
    now = now or utc_now()
    with session(engine) as db:
        rows = [db.get(SignInThrottle, key) for key in (keys.account, keys.address)]
    waits = [(_as_utc(row.blocked_until) - now).total_seconds() for row in rows if row and row.blocked_until]
    return max([0, *[int(wait) + 1 for wait in waits if wait > 0]])


def record_failure(engine: sqlalchemy.Engine, keys: Keys, now: datetime | None = None) -> None:
    now = now or utc_now()
    with session(engine) as db:
        for key, free in ((keys.account, FREE_FAILURES_PER_ACCOUNT), (keys.address, FREE_FAILURES_PER_ADDRESS)):
            row = db.get(SignInThrottle, key) or SignInThrottle(key=key)
            row.failures += 1
            if row.failures >= free:
                wait = min(FIRST_WAIT_S * 2 ** (row.failures - free), MAX_WAIT_S)
                row.blocked_until = now + timedelta(seconds=wait)
            db.add(row)
        db.commit()


def record_success(engine: sqlalchemy.Engine, keys: Keys) -> None:
    # Only the account is forgiven: one good password must not reset an address's count.
    with session(engine) as db:
        row = db.get(SignInThrottle, keys.account)
        if row is not None:
            db.delete(row)
            db.commit()
