"""Groups of controllers (issue 15)

A controller belongs to groups (the services it uses, a hosting cluster): a breach of a
shared system affects a group at once. Stored as a sorted list of names on the
organisation; existing organisations belong to none.

Revision 0008 after 0007; created 2026-11-30 16:10:00.
"""

from alembic import op

from migrations.columns import json

revision, down_revision = "0008", "0007"


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(json("groups", server_default="[]"))
    # The model has no server default: it was only for the rows that exist.
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.alter_column("groups", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("groups")
