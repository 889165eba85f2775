"""The engines keep statement parameters (phone numbers, NIDs) out of database errors."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from foundation.db import database

PHONE = "+8801712345678"


@pytest.mark.parametrize("which", ["engine", "autocommit_engine"])
def test_a_database_error_does_not_show_the_statements_parameters(app, which):
    engine = getattr(database(app), which)
    with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(text("SELECT * FROM no_such_table WHERE mobile = :mobile"), {"mobile": PHONE})
    message = str(raised.value)
    assert "no_such_table" in message and PHONE not in message
    assert "parameters hidden" in message
