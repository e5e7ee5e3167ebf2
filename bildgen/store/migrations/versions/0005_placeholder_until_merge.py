"""placeholder: replaced by the audit-log migration when its branch is merged"""
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
