"""viewlink: expiring view-only links for people without an account; usersession.id_token for the
provider's sign-out (RP-initiated logout)

Revision ID: 0020
Revises: 0019

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'viewlink',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('owner_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('board_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('image_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('viewlink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_viewlink_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_viewlink_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_viewlink_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_viewlink_image_id'), ['image_id'], unique=False)
    with op.batch_alter_table('usersession', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_token', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usersession', schema=None) as batch_op:
        batch_op.drop_column('id_token')
    with op.batch_alter_table('viewlink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_viewlink_image_id'))
        batch_op.drop_index(batch_op.f('ix_viewlink_board_id'))
        batch_op.drop_index(batch_op.f('ix_viewlink_owner_id'))
        batch_op.drop_index(batch_op.f('ix_viewlink_token_hash'))
    op.drop_table('viewlink')
