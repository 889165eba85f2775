"""Migration 0016: programmes already in a database get their payment schedule."""

from sqlalchemy import text

from foundation.db import database
from sahayata import migrate


def _load_before(app) -> None:
    with database(app).engine.begin() as connection:
        connection.execute(text("INSERT INTO ministries (code, name_en, name_bn) VALUES ('MOSW', 'x', 'x')"))
        connection.execute(text("INSERT INTO clusters (code, name_en, name_bn) VALUES ('SA', 'x', 'x')"))
        for code in ("OAA", "FFH", "EGPP"):
            connection.execute(
                text(
                    "INSERT INTO programmes (code, name_en, name_bn, lead_ministry_code, cluster_code, benefit_type) "
                    "VALUES (:code, 'x', 'x', 'MOSW', 'SA', 'cash')"
                ),
                {"code": code},
            )


def _schedules(app) -> dict[str, tuple[str, str]]:
    with database(app).engine.connect() as connection:
        rows = connection.execute(text("SELECT code, payment_frequency, payment_months FROM programmes"))
        return {code: (frequency, months) for code, frequency, months in rows}


def test_0016_gives_the_quarterly_allowances_their_months_and_others_their_schedule(scratch_app):
    migrate.upgrade(scratch_app, "0015")
    _load_before(scratch_app)
    migrate.upgrade(scratch_app, "0016")
    assert _schedules(scratch_app) == {
        "OAA": ("quarterly", "1,4,7,10"),
        "FFH": ("monthly", ""),
        "EGPP": ("irregular", ""),
    }
    migrate.downgrade(scratch_app, "0015")
    with database(scratch_app).engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM programmes")).scalar() == 3
