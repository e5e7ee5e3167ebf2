"""referenceimage: what an upload's Content Credentials said before it was cleaned (re-encoding drops them)

Revision ID: 0017
Revises: 0016

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('referenceimage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials', sa.String(length=600), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referenceimage', schema=None) as batch_op:
        batch_op.drop_column('credentials')
