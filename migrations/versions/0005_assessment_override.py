"""The officer's severity assessment beside the computed one (issue 6)

Revision 0005 after 0004; created 2026-11-22 05:34:39.882109.
"""

from alembic import op

from migrations.columns import NULL, integer, json, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0005", "0004"


def upgrade() -> None:
    create_table(
        "assessment_override",
        uuid("notice_id"),
        integer("version"),
        integer("incident_version"),
        json("override"),
        integer("created_by_id"),
        utc("created_at"),
        refers={"created_by_id": "user_account", "notice_id": "notice"},
        unique=[("uq_assessment_override_version", "notice_id", "version")],
        indexes=["notice_id"],
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(json("assessment_override", NULL))


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("assessment_override")
    drop_tables("assessment_override")
