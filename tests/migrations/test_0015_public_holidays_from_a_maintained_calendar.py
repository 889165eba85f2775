"""Migration 0015: each complaint's clock starts at the event that set its deadline; a
downgrade gives back the holiday rows the older code counted."""

import datetime as dt

from sqlalchemy import inspect, text

from foundation.db import database
from sahayata import migrate

# id, status, due, events (at, actor, from, to)
BEFORE = [
    # Routed on 2 Nov, transferred on 20 Nov: a transfer keeps the deadline, so the clock
    # still counts from the routing.
    (
        1,
        "routed",
        "2026-12-14 17:59:59+00:00",
        [
            ("2026-11-01 04:00:00+00:00", "citizen", None, "received"),
            ("2026-11-02 04:00:00+00:00", "router", "received", "routed"),
            ("2026-11-20 04:00:00+00:00", "o@mosw", "routed", "transferred"),
            ("2026-11-20 04:00:01+00:00", "o@mosw", "transferred", "routed"),
        ],
    ),
    # Escalated by the SLA clock on 10 Nov: its tier-2 clock starts there.
    (
        2,
        "acknowledged",
        "2026-12-22 17:59:59+00:00",
        [
            ("2026-09-01 04:00:00+00:00", "citizen", None, "received"),
            ("2026-09-02 04:00:00+00:00", "router", "received", "routed"),
            ("2026-09-03 04:00:00+00:00", "o@mosw", "routed", "acknowledged"),
            ("2026-11-10 04:00:00+00:00", "sla-clock", "acknowledged", "acknowledged"),
        ],
    ),
    # Appealed on 15 Nov, then acknowledged by the appeal officer: the appeal started it.
    (
        3,
        "acknowledged",
        "2026-12-20 17:59:59+00:00",
        [
            ("2026-10-01 04:00:00+00:00", "citizen", None, "received"),
            ("2026-10-02 04:00:00+00:00", "router", "received", "routed"),
            ("2026-10-20 04:00:00+00:00", "o@mosw", "routed", "rejected"),
            ("2026-11-15 04:00:00+00:00", "system", "rejected", "appealed"),
            ("2026-11-16 04:00:00+00:00", "a@mosw", "appealed", "acknowledged"),
        ],
    ),
    # Not routed yet: no deadline, no clock.
    (4, "received", None, [("2026-11-25 04:00:00+00:00", "citizen", None, "received")]),
]

EXPECTED_STARTS = {1: "2026-11-02 04:00", 2: "2026-11-10 04:00", 3: "2026-11-15 04:00", 4: None}


def _load_before(app) -> None:
    with database(app).engine.begin() as connection:
        connection.execute(text("INSERT INTO ministries (code, name_en, name_bn) VALUES ('MOSW', 'x', 'x')"))
        for id_, status, due, events in BEFORE:
            connection.execute(
                text(
                    "INSERT INTO grievances (id, tracking_number, phone_hash, category, channel, locale, status, "
                    "tier, ministry_code, routed_at, due_at, created_at, updated_at) VALUES (:id, :number, 'h', "
                    "'amount_short', 'ussd', 'bn', :status, 1, 'MOSW', :routed, :due, :created, :created)"
                ),
                {
                    "id": id_,
                    "number": f"10000000{id_}",
                    "status": status,
                    "routed": events[1][0] if len(events) > 1 else None,
                    "due": due,
                    "created": events[0][0],
                },
            )
            for at, actor, before, after in events:
                connection.execute(
                    text(
                        "INSERT INTO grievance_events (grievance_id, at, actor, from_status, to_status) "
                        "VALUES (:id, :at, :actor, :before, :after)"
                    ),
                    {"id": id_, "at": at, "actor": actor, "before": before, "after": after},
                )


def _minute(value) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _starts(app) -> dict[int, str | None]:
    with database(app).engine.connect() as connection:
        rows = connection.execute(text("SELECT id, sla_started_at FROM grievances ORDER BY id"))
        return {id_: _minute(started) for id_, started in rows}


def _public_holidays(app) -> list[tuple[str, str, str]]:
    with database(app).engine.connect() as connection:
        rows = connection.execute(text("SELECT day, name_en, name_bn FROM public_holidays ORDER BY day"))
        return [(str(day), name_en, name_bn) for day, name_en, name_bn in rows]


def test_0015_starts_the_clock_at_the_routing_escalation_or_appeal_never_at_a_transfer(scratch_app):
    migrate.upgrade(scratch_app, "0014")
    _load_before(scratch_app)
    migrate.upgrade(scratch_app, "0015")
    assert _starts(scratch_app) == EXPECTED_STARTS


def test_0015_downgrade_restores_the_holiday_rows_and_upgrades_again(scratch_app):
    migrate.upgrade(scratch_app, "0014")
    _load_before(scratch_app)
    migrate.upgrade(scratch_app, "0015")
    migrate.downgrade(scratch_app, "0014")
    holidays = _public_holidays(scratch_app)
    assert len(holidays) == 13
    assert holidays[0] == ("2026-02-21", "Language Martyrs' Day", "শহীদ দিবস ও আন্তর্জাতিক মাতৃভাষা দিবস")
    assert ("2026-03-17", "Birthday of the Father of the Nation", "জাতির পিতার জন্মদিন") in holidays
    assert holidays[-1] == ("2027-12-25", "Christmas Day", "বড়দিন")
    columns = {column["name"] for column in inspect(database(scratch_app).engine).get_columns("grievances")}
    assert "sla_started_at" not in columns
    migrate.upgrade(scratch_app, "0015")
    assert _starts(scratch_app) == EXPECTED_STARTS
    assert "public_holidays" not in inspect(database(scratch_app).engine).get_table_names()
    migrate.upgrade(scratch_app)
