"""revocation columns; append-only audit log on PostgreSQL

Revision ID: 0002
Revises: 0001

``users.disabled_at`` and ``api_keys.revoked_at`` back ``users disable`` and
``users revoke-key``. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on
``audit_log``, so the service's own database role cannot rewrite history; the table owner can
still drop the trigger, which is why the entries are also keyed (see serving/audit.py).
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION groomwatch_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)
        op.execute('CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log '
                   'FOR EACH ROW EXECUTE FUNCTION groomwatch_audit_append_only()')
        op.execute('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log '
                   'FOR EACH STATEMENT EXECUTE FUNCTION groomwatch_audit_append_only()')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_log_no_truncate ON audit_log')
        op.execute('DROP TRIGGER audit_log_no_change ON audit_log')
        op.execute('DROP FUNCTION groomwatch_audit_append_only()')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('revoked_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('disabled_at')
