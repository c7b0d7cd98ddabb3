"""Groups of controllers (issue 15)

A controller belongs to groups (the services it uses, a hosting cluster): a breach of a
shared system affects a group at once. Stored as a sorted list of names on the
organisation; existing organisations belong to none.

Revision 0008 after 0007; created 2026-11-30 16:10:00.
"""

from migrations.columns import json
from migrations.helpers import add_columns, drop_columns

revision, down_revision = "0008", "0007"


def upgrade() -> None:
    add_columns("organisation", json("groups", server_default="[]"))


def downgrade() -> None:
    drop_columns("organisation", "groups")
