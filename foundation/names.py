"""People's names compared as people write them differently, in SQL and in Python alike.

"Md. Abdul  Karim" and "MD ABDUL-KARIM" are one name; so are "মো. আব্দুল করিম" and
"মো আব্দুল করিম", and a Bangla name typed with য় as one character or as য plus the nukta
(Unicode NFC makes them one). The monitoring signals (likely duplicate people) and the staff
search compare names by one key: ``name_key`` in Python, ``normalised_name`` in a query.

On PostgreSQL the query spells the key with translate(), normalize() and lower(); SQLite has
no normalize() and its parser refuses the two dozen nested replace() calls that would stand
in for it, so each SQLite connection is given ``name_key`` itself as a function
(``register_sqlite_functions``, called by foundation.db on connect).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# What people and clerks put between the parts of a name: spaces (the ordinary, the no-break
# and the zero-width ones a Bangla keyboard leaves), dots (Md., মো.), hyphens, commas,
# apostrophes and brackets.
NAME_PUNCTUATION = " \u00a0\u200b\u200c\u200d.,-'`\"()/_:;"
_PUNCTUATION = dict.fromkeys(map(ord, NAME_PUNCTUATION))
SQLITE_FUNCTION = "sahayata_name_key"


def name_key(text: str) -> str:
    """A name's comparison key: punctuation and spaces gone, NFC, lower case."""
    return unicodedata.normalize("NFC", text.translate(_PUNCTUATION)).lower()


class normalised_name(FunctionElement[str]):
    """A name column's comparison key, as ``name_key`` computes it."""

    type = String()
    inherit_cache = True


@compiles(normalised_name)
def _name_key_sqlite(element: normalised_name, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


def name_key_sql(name: str) -> str:
    """The key of the SQL expression ``name`` on PostgreSQL. The punctuation is written into
    the statement, not bound: the staff search's trigram indexes are built on this very
    expression (migration 0026), and the planner matches an index only on constants."""
    # translate() drops every character of its second argument that the third lacks.
    punctuation = "'" + NAME_PUNCTUATION.replace("'", "''") + "'"
    return f"lower(normalize(translate({name}, {punctuation}, ''), NFC))"


@compiles(normalised_name, "postgresql")
def _name_key_postgresql(element: normalised_name, compiler: Any, **kw: Any) -> str:
    return name_key_sql(compiler.process(element.clauses, **kw))


def _sqlite_name_key(text: str | None) -> str | None:
    return None if text is None else name_key(text)


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Give a new SQLite connection the functions the queries of this module call."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, _sqlite_name_key, deterministic=True)
