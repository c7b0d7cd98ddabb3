"""Evidence files of an incident (issue 18)

Append-only: a removal is recorded with its reason; a purge deletes the content and keeps
the record. The content is in the database, or in BREACHDESK_EVIDENCE_DIR under its hash.

Revision 0020 after 0019; created 2026-12-01 02:35:00.
"""

from migrations.columns import NULL, big, binary, integer, json, string, text, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0020", "0019"


def upgrade() -> None:
    create_table(
        "evidence",
        uuid("id"),
        uuid("incident_id"),
        string("filename", 200),
        string("media_type", 100),
        big("size"),
        string("sha256", 64),
        text("note"),
        json("shared_with"),
        binary("content", NULL),
        string("stored_path", 100),
        integer("uploaded_by_id"),
        utc("uploaded_at"),
        utc("removed_at", NULL),
        integer("removed_by_id", NULL),
        text("removal_reason"),
        utc("purged_at", NULL),
        integer("purged_by_id", NULL),
        refers={
            "incident_id": "incident",
            "uploaded_by_id": "user_account",
            "removed_by_id": "user_account",
            "purged_by_id": "user_account",
        },
        indexes=["incident_id"],
    )


def downgrade() -> None:
    drop_tables("evidence")
