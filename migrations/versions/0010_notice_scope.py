"""Each controller's own figures (issue 15)

One breach of a shared system touches each client's data differently: the persons
affected, the records and the kinds of data can differ per controller. A notice keeps its
controller's own figures (scope) where they differ from the incident's totals; a change
after the notice went out makes a follow-up due (scope_version, sent_scope_version). A
send is unique per notice, incident version and version of those figures.

Revision 0010 after 0009; created 2026-11-30 16:30:00.
"""

from alembic import op

from migrations.columns import integer, json
from migrations.helpers import add_columns, drop_columns

revision, down_revision = "0010", "0009"


UNIQUE = "uq_notice_send_version"


def upgrade() -> None:
    add_columns(
        "notice",
        json("scope", server_default="{}"),
        integer("scope_version", server_default="0"),
        integer("sent_scope_version", server_default="0"),
    )
    add_columns("notice_send", integer("scope_version", server_default="0"))
    with op.batch_alter_table("notice_send", schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(
            UNIQUE, ["notice_id", "incident_version", "scope_version"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_send", schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["notice_id", "incident_version"])
    drop_columns("notice_send", "scope_version")
    drop_columns("notice", "sent_scope_version", "scope_version", "scope")
