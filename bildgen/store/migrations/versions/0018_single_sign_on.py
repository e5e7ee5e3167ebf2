"""user.email and externalidentity: accounts signed in through the organisation's OpenID provider

Revision ID: 0018
Revises: 0017

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
        batch_op.create_unique_constraint('uq_user_email', ['email'])
    op.create_table(
        'externalidentity',
        sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('issuer', 'subject'),
    )
    op.create_index('ix_externalidentity_user_id', 'externalidentity', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_externalidentity_user_id', table_name='externalidentity')
    op.drop_table('externalidentity')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_email', type_='unique')
        batch_op.drop_column('email')
