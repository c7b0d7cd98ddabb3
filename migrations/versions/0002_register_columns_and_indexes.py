"""register columns and indexes

Revision 0002 after 0001; created 2026-11-22 02:39:59.454002.
"""

import sqlalchemy as sa
from alembic import op

from migrations.columns import NULL, big, integer, text, utc

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    op.create_table(
        "reference_counter",
        integer("year", autoincrement=False),
        integer("last"),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reference_counter")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(text("summary", server_default=""))
        batch_op.add_column(utc("discovered_at", NULL))
        batch_op.add_column(big("affected_max", NULL))
        batch_op.add_column(integer("updated_by_id", NULL))
        batch_op.drop_index(batch_op.f("ix_incident_created_at"))
        batch_op.drop_index(batch_op.f("ix_incident_status"))
        batch_op.create_index("ix_incident_created_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_incident_discovered_id", ["discovered_at", "id"], unique=False)
        batch_op.create_index("ix_incident_persons_id", ["affected_max", "id"], unique=False)
        batch_op.create_index(
            "ix_incident_status_created_id", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_incident_updated_by_id_user_account"),
            "user_account",
            ["updated_by_id"],
            ["id"],
        )

    # The default only fills the rows that exist; the application always sets a summary.
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.alter_column(
            "summary", server_default=None, existing_type=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(utc("removed_at", NULL))
        batch_op.drop_index(batch_op.f("ix_notice_controller_id"))
        batch_op.create_index(
            "ix_notice_controller_incident", ["controller_id", "incident_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        # Text search over summary and reference (ILIKE '%...%') through trigram indexes.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_incident_summary_trgm ON incident USING gin (summary gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_incident_reference_trgm ON incident USING gin (reference gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_incident_summary_trgm")
        op.execute("DROP INDEX IF EXISTS ix_incident_reference_trgm")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_controller_incident")
        batch_op.create_index(
            batch_op.f("ix_notice_controller_id"), ["controller_id"], unique=False
        )
        batch_op.drop_column("removed_at")

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_incident_updated_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_index("ix_incident_status_created_id")
        batch_op.drop_index("ix_incident_persons_id")
        batch_op.drop_index("ix_incident_discovered_id")
        batch_op.drop_index("ix_incident_created_id")
        batch_op.create_index(batch_op.f("ix_incident_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_created_at"), ["created_at"], unique=False)
        batch_op.drop_column("updated_by_id")
        batch_op.drop_column("affected_max")
        batch_op.drop_column("discovered_at")
        batch_op.drop_column("summary")

    op.drop_table("reference_counter")
