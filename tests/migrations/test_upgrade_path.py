"""The upgrade a running deployment makes: a database holding data at the first migration's
schema (the repository has no release tag yet to start from instead) taken to head as
`flask --app wsgi db upgrade` does, its data still there and right, served over USSD;
then one step down and up again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from foundation.db import database
from sahayata import migrate
from tests.ussd_app.conftest import Phone

# Plain SQL in the shape of migration 0001 (migrations/versions/0001_registry_schema.py),
# with the seed's codes and place ids, so the reference sync after migrating updates these
# rows rather than adding beside them.
AT_0001 = (
    "INSERT INTO clusters (code, name_en, name_bn, coordinator_ministry_code) "
    "VALUES ('SA', 'Social Allowance', 'সামাজিক ভাতা', 'MOSW')",
    "INSERT INTO ministries (code, name_en, name_bn) VALUES ('MOSW', 'Ministry of Social Welfare', 'সমাজকল্যাণ')",
    "INSERT INTO programmes (code, name_en, name_bn, lead_ministry_code, cluster_code, benefit_type, amount_bdt, "
    "unit, frequency) VALUES ('OAA', 'Old Age Allowance', 'বয়স্ক ভাতা', 'MOSW', 'SA', 'cash', 600, 'BDT/month', "
    "'paid quarterly')",
    "INSERT INTO divisions (id, name_en, name_bn) VALUES (1, 'Chattagram', 'চট্টগ্রাম')",
    "INSERT INTO districts (id, division_id, name_en, name_bn) VALUES (1, 1, 'Cumilla', 'কুমিল্লা')",
    "INSERT INTO upazilas (id, district_id, name_en, name_bn) VALUES (1, 1, 'Debidwar', 'দেবিদ্বার')",
    "INSERT INTO households (id, external_id, size, monthly_income_bdt, land_decimal) "
    "VALUES (1, 'HH-0001', 3, 4000.00, 2.50)",
    "INSERT INTO citizens (id, nid, name_en, name_bn, date_of_birth, gender, mobile, district_id, upazila_id, "
    "household_id, disability, marital_status, language) VALUES (1, '19561234567890123', 'Rahima Begum', "
    "'রহিমা বেগম', '1956-03-01', 'F', '+8801712000001', 1, 1, 1, false, 'widowed', 'bn')",
    "INSERT INTO enrolments (citizen_id, programme_code, status, enrolled_on, payment_channel, account_number) "
    "VALUES (1, 'OAA', 'active', '2024-01-15', 'nagad', '01712000001')",
    "INSERT INTO payments (citizen_id, programme_code, cycle, amount_bdt, status, paid_on, channel, txn_id) "
    "VALUES (1, 'OAA', '2026-07', 1800.00, 'credited', '2026-07-10', 'nagad', 'T-2026-07')",
    "INSERT INTO payments (citizen_id, programme_code, cycle, amount_bdt, status, paid_on, channel, failure_reason) "
    "VALUES (1, 'OAA', '2026-10', 1800.00, 'failed', '2026-10-12', 'nagad', 'wallet account inactive')",
)

CITIZEN = "SELECT nid, name_en, name_bn, date_of_birth, gender, mobile, marital_status, language FROM citizens"
OAA = "SELECT payment_frequency, payment_months, benefit_unit, short_name_bn FROM programmes WHERE code = 'OAA'"
PAYMENTS = "SELECT cycle, amount_bdt, status, paid_on, txn_id, failure_reason FROM payments ORDER BY cycle"


def _revision(app) -> str | None:
    with database(app).engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _rows(app, query: str) -> list[tuple]:
    with database(app).engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)  # SQLite hands back text


def _the_data_is_there_and_right(app) -> None:
    [citizen] = _rows(app, CITIZEN)
    assert citizen[:3] == ("19561234567890123", "Rahima Begum", "রহিমা বেগম")
    assert _as_date(citizen[3]) == dt.date(1956, 3, 1)
    assert citizen[4:] == ("F", "+8801712000001", "widowed", "bn")
    payments = [
        (cycle, Decimal(str(amount)), status, _as_date(paid), txn, why)
        for cycle, amount, status, paid, txn, why in _rows(app, PAYMENTS)
    ]
    assert payments == [
        ("2026-07", Decimal("1800.00"), "credited", dt.date(2026, 7, 10), "T-2026-07", None),
        ("2026-10", Decimal("1800.00"), "failed", dt.date(2026, 10, 12), None, "wallet account inactive"),
    ]
    assert _rows(app, "SELECT citizen_id, programme_code, status, account_number FROM enrolments") == [
        (1, "OAA", "active", "01712000001")
    ]


def test_data_at_the_first_migration_reaches_head_right_and_survives_one_step_down_and_up(scratch_app):
    scripts = ScriptDirectory.from_config(migrate.alembic_config(scratch_app))
    head = scripts.get_current_head()
    previous = scripts.get_revision(head).down_revision
    first = scripts.get_base()

    migrate.upgrade(scratch_app, first)
    with database(scratch_app).engine.begin() as connection:
        for statement in AT_0001:
            connection.execute(text(statement))

    migrate.upgrade(scratch_app, "head")
    assert _revision(scratch_app) == head
    _the_data_is_there_and_right(scratch_app)
    # Columns added since are filled for the rows already there: 0016 gives the allowance
    # its quarterly schedule, 0014 and 0002 their defaults until the reference sync.
    assert _rows(scratch_app, OAA) == [("quarterly", "1,4,7,10", "person", "")]

    # What a deployer runs (`db upgrade`: nothing left to migrate, then the reference sync).
    result = scratch_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    _the_data_is_there_and_right(scratch_app)
    assert _rows(scratch_app, OAA) == [("quarterly", "1,4,7,10", "person", "বয়স্ক ভাতা")]

    # The migrated registry is the one the service reads: her payments over USSD.
    phone = Phone(scratch_app.test_client(), "+8801712000001")
    assert phone.dial_fresh().startswith("CON সহায়তা\n")
    payments = phone.read_on(phone.press("2"))
    assert payments.startswith("বয়স্ক ভাতা: ১,৮০০ টাকা, ব্যর্থ, ১২ অক্টো ২০২৬।"), payments
    assert "(ত্রৈমাসিক)" in payments  # the next payment is a quarter's, as the schedule says

    # A release rolled back: one step down keeps the data, and up again restores head's shape.
    head_columns = {
        table: _columns(scratch_app, table) for table in inspect(database(scratch_app).engine).get_table_names()
    }
    migrate.downgrade(scratch_app, "-1")
    assert _revision(scratch_app) == previous
    _the_data_is_there_and_right(scratch_app)
    migrate.upgrade(scratch_app, "head")
    assert _revision(scratch_app) == head
    _the_data_is_there_and_right(scratch_app)
    assert {table: _columns(scratch_app, table) for table in head_columns} == head_columns


def _columns(app, table: str) -> list[str]:
    return sorted(column["name"] for column in inspect(database(app).engine).get_columns(table))
