"""generation: the running worker's liveness lock, and how often the job was requeued or its worker died

Revision ID: 0015
Revises: 0014

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Server defaults: an instance still on the old version (a rolling update) inserts rows without them.
    with op.batch_alter_table('generation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker_lock', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('requeues', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('worker_deaths', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('generation', schema=None) as batch_op:
        batch_op.drop_column('worker_deaths')
        batch_op.drop_column('requeues')
        batch_op.drop_column('worker_lock')
