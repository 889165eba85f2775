"""Migration 0019: staff accounts get an upazila limit, empty for those already there."""

import sqlalchemy as sa
from sqlalchemy import inspect, text

from foundation.db import database
from sahayata import migrate

STAFF = sa.table(
    "staff_users", sa.column("email"), sa.column("district_ids", sa.JSON), sa.column("upazila_ids", sa.JSON)
)


def _load_before(app) -> None:
    with database(app).engine.begin() as connection:
        connection.execute(text("INSERT INTO ministries (code, name_en, name_bn) VALUES ('MOSW', 'x', 'x')"))
        for email, districts in (("whole@example.org", "[]"), ("cumilla@example.org", "[1]")):
            connection.execute(
                text(
                    "INSERT INTO staff_users (email, name, password_hash, role, ministry_code, district_ids, "
                    "language, session_token) VALUES (:email, 'x', 'x', 'officer', 'MOSW', :districts, 'en', :email)"
                ),
                {"email": email, "districts": districts},
            )


def _columns(app) -> dict[str, bool]:
    """staff_users' columns, each with whether it may be NULL."""
    return {column["name"]: column["nullable"] for column in inspect(database(app).engine).get_columns("staff_users")}


def test_0019_gives_existing_officers_no_upazila_limit_and_downgrades_keeping_them(scratch_app):
    migrate.upgrade(scratch_app, "0018")
    _load_before(scratch_app)
    migrate.upgrade(scratch_app, "0019")
    with database(scratch_app).engine.connect() as connection:
        rows = connection.execute(sa.select(STAFF).order_by(STAFF.c.email)).all()
    assert [tuple(row) for row in rows] == [("cumilla@example.org", [1], []), ("whole@example.org", [], [])]
    assert _columns(scratch_app)["upazila_ids"] is False  # every account has a list, maybe empty
    migrate.downgrade(scratch_app, "0018")
    assert "upazila_ids" not in _columns(scratch_app) and "district_ids" in _columns(scratch_app)
    with database(scratch_app).engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM staff_users")).scalar() == 2
    migrate.upgrade(scratch_app, "0019")
    assert "upazila_ids" in _columns(scratch_app)
