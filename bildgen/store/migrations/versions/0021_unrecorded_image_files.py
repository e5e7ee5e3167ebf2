"""varianttask: the image file a job's attempt wrote before its row, removed when that attempt is over

Revision ID: 0021
Revises: 0020

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('varianttask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unrecorded_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unrecorded_attempt', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('varianttask', schema=None) as batch_op:
        batch_op.drop_column('unrecorded_attempt')
        batch_op.drop_column('unrecorded_sha256')
