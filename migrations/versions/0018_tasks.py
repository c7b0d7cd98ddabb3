"""An incident's action plan (issue 18)

One row per task: its title, owner, due time and state (open, done, cancelled), with a
version that counts its changes (a change made on an older version is refused).

Revision 0018 after 0017; created 2026-12-01 02:25:00.
"""

from migrations.columns import NULL, integer, string, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0018", "0017"


def upgrade() -> None:
    create_table(
        "task",
        uuid("incident_id"),
        string("title", 200),
        integer("owner_id", NULL),
        utc("due_at", NULL),
        string("state", 16),
        integer("version"),
        integer("created_by_id"),
        utc("created_at"),
        utc("updated_at"),
        checks={"state": "state IN ('open', 'done', 'cancelled')"},
        refers={
            "incident_id": "incident",
            "owner_id": "user_account",
            "created_by_id": "user_account",
        },
        indexes=["incident_id", ("ix_task_state_due", ["state", "due_at"])],
    )


def downgrade() -> None:
    drop_tables("task")
