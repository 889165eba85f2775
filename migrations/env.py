"""Alembic environment: the URL comes from the Sahayata config (DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import foundation.rule_changes  # noqa: F401  (registers the tables on Base.metadata)
import grievance.models  # noqa: F401
import import_api.models  # noqa: F401
import notices.models  # noqa: F401
import outbound_sms.models  # noqa: F401
import registry.models  # noqa: F401
import staff.models  # noqa: F401
from foundation.db import Base
from registry.models import in_the_models
from staff import aggregates as dashboard_models  # noqa: F401
from staff import signal_store as signal_models  # noqa: F401
from staff.opendata import models as open_data_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=in_the_models,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from foundation.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
