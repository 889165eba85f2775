"""PostgreSQL's plans for a statement, as the driver will run it.

psycopg prepares a statement once it has run 5 times on a connection, and PostgreSQL then
plans it once for any parameters: the generic plan. A plain EXPLAIN with the values shows
the custom plan instead, which may use an index (a partial one, say) that the generic plan
cannot, because it cannot know that a bound parameter holds the index's constant."""

from __future__ import annotations

import re
from typing import Any

from psycopg.sql import Literal
from sqlalchemy import Connection, text
from sqlalchemy.sql import ClauseElement


def generic_plan(connection: Connection, statement: ClauseElement, values: dict[str, Any]) -> str:
    """EXPLAIN of ``statement`` prepared and planned generically; ``values`` for the bind
    parameters without one of their own."""
    # render_postcompile: a constant given with literal_execute is written in, as it will be run.
    compiled = statement.compile(connection, compile_kwargs={"render_postcompile": True})
    given = {**compiled.params, **values}
    names: list[str] = []

    def numbered(found: re.Match[str]) -> str:
        if found.group(1) not in names:
            names.append(found.group(1))
        return f"${names.index(found.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", numbered, str(compiled))
    connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    connection.exec_driver_sql(f"PREPARE generic_plan_under_test AS {prepared}")
    try:
        # A savepoint: a failing EXPLAIN rolls back only itself, so DEALLOCATE can still run
        # and no prepared statement is left on the pooled connection.
        with connection.begin_nested():
            # EXECUTE's arguments as literals: PostgreSQL types an untyped string by the prepared
            # statement's parameter only when it is written, not bound.
            driver = connection.connection.dbapi_connection
            arguments = ", ".join(
                Literal(getattr(given[name], "value", given[name])).as_string(driver) for name in names
            )
            rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE generic_plan_under_test({arguments})")
            plan = "\n".join(row[0] for row in rows)
            # Which plan EXPLAIN EXECUTE used, from PostgreSQL's own count; a "$1" in the text
            # would not prove it (an InitPlan's output is written "$0" in custom plans too).
            generic, custom = connection.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'generic_plan_under_test'"
            ).one()
    finally:
        connection.exec_driver_sql("DEALLOCATE generic_plan_under_test")
    if generic < 1 or custom:
        raise AssertionError(f"not the generic plan ({generic} generic, {custom} custom):\n{plan}")
    return plan
