"""One counter row that every change to profiles, providers and settings increments.

Worker processes cache the catalog and compare this number (one primary-key read) to know whether
their copy is still current; the process that made a change refreshes at once.
"""

from __future__ import annotations

import sqlalchemy
from sqlmodel import Session, update

from bildgen.store.db import session
from bildgen.store.models import ConfigVersion


def bump(db: Session) -> None:
    """Count a change, in the caller's transaction (committed with the change itself)."""
    db.exec(update(ConfigVersion).where(ConfigVersion.slot == 1).values(version=ConfigVersion.version + 1))


def current(engine: sqlalchemy.Engine) -> int:
    with session(engine) as db:
        row = db.get(ConfigVersion, 1)
        return row.version if row else 0
