"""The column types of the models, for the migrations: ``integer("version")`` is an
``INTEGER NOT NULL`` column named version; a column is ``NOT NULL`` unless it is given
``NULL``: ``utc("sent_at", NULL)``; other keywords go to ``sa.Column``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from sqlalchemy.dialects import postgresql

NULL = True

Builder = Callable[..., "sa.Column[Any]"]


def _typed(make_type: Callable[[], Any]) -> Builder:
    def column(name: str, null: bool = False, **kw: Any) -> sa.Column[Any]:
        return sa.Column(name, make_type(), nullable=null, **kw)

    return column


def _json() -> Any:
    """JSON on every database, JSONB on PostgreSQL (the models' JSONType)."""
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


integer = _typed(sa.Integer)
big = _typed(sa.BigInteger)
boolean = _typed(sa.Boolean)
uuid = _typed(sa.Uuid)
text = _typed(sa.Text)
binary = _typed(sa.LargeBinary)
utc = _typed(sqlmodel.sql.sqltypes.UTCDateTime)  # timezone-aware UTC instants
json = _typed(_json)


def string(name: str, length: int, null: bool = False, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=null, **kw)
