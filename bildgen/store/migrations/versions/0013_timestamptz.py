"""time stamps with time zone: the four columns migrations 0006 to 0008 made without one

Revision ID: 0013
Revises: 0009

Every other time stamp column was created as `timestamptz` (SQLModel's UTCDateTime); these four were
`timestamp without time zone`. bildgen binds aware moments, so PostgreSQL stored them converted to the
session's TimeZone and read them back as if they were UTC: with a server not running in UTC, a job's
start and lease, a variant's last update and a mask's creation were off by the zone's offset.

Existing values were written in the zone of the connections bildgen used (the server's or role's
TimeZone, the same this migration's connection has), so they are read back in that zone. On a server
in UTC that is the same as `AT TIME ZONE 'UTC'`. SQLite has no time zones: bildgen stores UTC there
and nothing changes.
"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0013'
# The last migration of the chain (0012 is followed by 0011, 0010, 0007, 0008 and 0009).
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = {
    "generation": ("started_at", "lease_expires_at"),
    "varianttask": ("updated_at",),
    "editmask": ("created_at",),
}


def _convert(to_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f"ALTER COLUMN {column} TYPE {to_type} USING {column} AT TIME ZONE current_setting('TimeZone')"
            for column in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _convert("timestamptz")


def downgrade() -> None:
    _convert("timestamp without time zone")
