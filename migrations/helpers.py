"""What the migrations share: one way to create a table with its keys and indexes under the
names of the naming convention in incidents.models (``pk_<table>``,
``fk_<table>_<column>_<referred table>``, ``uq_<table>_<column>``, ``ck_<table>_<name>``,
``ix_<table>_<column>``). The column types are in migrations.columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from migrations.columns import integer


def create_table(
    name: str,
    *columns: sa.Column[Any],
    key: str = "id",
    checks: Mapping[str, str] = {},
    refers: Mapping[str, str] = {},
    unique: Iterable[str | tuple[str, ...]] = (),
    indexes: Iterable[str | tuple[str, Sequence[str]]] = (),
    unique_indexes: Iterable[str] = (),
) -> None:
    """Create the table ``name`` and then its indexes.

    ``checks`` maps a constraint's short name to its SQL; ``refers`` maps a column to the
    table whose ``id`` it refers to; ``key`` names the primary key column, an integer put
    first unless ``columns`` has it. In ``unique`` a column name is a one-column constraint named
    by the convention, a tuple ``(name, *columns)`` one under its own name. In ``indexes`` a column name is a one-column index named by the
    convention, a pair ``(name, columns)`` one under its own name; ``unique_indexes`` are
    one-column unique indexes.
    """
    constraints: list[sa.Constraint] = [
        sa.CheckConstraint(sql, name=op.f(f"ck_{name}_{short}")) for short, sql in checks.items()
    ]
    constraints += [
        sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(f"fk_{name}_{column}_{table}"))
        for column, table in refers.items()
    ]
    if key not in {column.name for column in columns}:
        columns = (integer(key), *columns)
    constraints.append(sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{name}")))
    for item in unique:
        if isinstance(item, str):
            constraints.append(sa.UniqueConstraint(item, name=op.f(f"uq_{name}_{item}")))
        else:
            constraints.append(sa.UniqueConstraint(*item[1:], name=item[0]))
    op.create_table(name, *columns, *constraints)
    with op.batch_alter_table(name, schema=None) as batch_op:
        for column in unique_indexes:
            batch_op.create_index(batch_op.f(f"ix_{name}_{column}"), [column], unique=True)
        for index in indexes:
            if isinstance(index, str):
                batch_op.create_index(batch_op.f(f"ix_{name}_{index}"), [index], unique=False)
            else:
                batch_op.create_index(index[0], list(index[1]), unique=False)


def drop_tables(*names: str) -> None:
    """Drop the tables (and with them their indexes) in this order."""
    for name in names:
        op.drop_table(name)


def add_columns(table: str, *columns: sa.Column[Any]) -> None:
    """Add columns to a table that has rows. A column's ``server_default`` fills the rows
    that exist and is then taken off again: the models give the value of new rows."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.add_column(column)
    defaulted = [column.name for column in columns if column.server_default is not None]
    if defaulted:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in defaulted:
                batch_op.alter_column(name, server_default=None)


def drop_columns(table: str, *names: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)
