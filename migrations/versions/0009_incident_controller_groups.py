"""The groups an incident's controllers were chosen by (issue 15)

A breach of a shared system affects a group of controllers, or all of them: the first
step of the questionnaire picks them by group. The incident keeps the controllers they
were resolved to (the answer ``controllers``) and, here, the groups they came from.

Revision 0009 after 0008; created 2026-11-30 16:20:00.
"""

from migrations.columns import json
from migrations.helpers import add_columns, drop_columns

revision, down_revision = "0009", "0008"


def upgrade() -> None:
    add_columns("incident", json("controller_groups", server_default="[]"))


def downgrade() -> None:
    drop_columns("incident", "controller_groups")
