import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from foundation.bulk import SMALL_BATCH, in_rows, insert_new, upsert
from registry.models import Citizen, Household


def households(batch: int, count: int) -> list[dict]:
    return [
        {"external_id": f"B{batch}-{i}", "size": 3, "monthly_income_bdt": Decimal(9000), "land_decimal": Decimal(0)}
        for i in range(count)
    ]


def test_upsert_staging_table_holds_one_batch_however_many_came_before(session):
    """An import is one transaction of many batches: the staging table must be emptied in a
    way that does not leave every earlier batch behind for the next one to scan."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite writes without a staging table (CI's second pass runs this)")
    staging_size = text(
        "SELECT pg_relation_size(oid) FROM pg_class"
        " WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'staging_households_%'"
    )
    sizes = []
    for batch in range(6):
        upsert(session, Household.__table__, households(batch, 500), ["external_id"])
        sizes.append(session.scalar(staging_size))
    assert session.scalar(select(func.count()).select_from(Household)) == 3000
    assert sizes[0] > 0
    assert sizes[-1] == sizes[0], sizes


def test_in_rows_matches_whole_keys_not_each_column_on_its_own(session, two_citizens):
    rahima, karim = two_citizens
    rahima_born, karim_born = dt.date(1958, 3, 1), dt.date(1955, 1, 1)
    wanted = [(rahima, rahima_born), (karim, rahima_born), ("9999999999", karim_born)]
    found = session.scalars(select(Citizen.nid).where(in_rows(session, (Citizen.nid, Citizen.date_of_birth), wanted)))
    assert list(found) == [rahima]


def _staging_tables(session) -> int:
    if session.get_bind().dialect.name != "postgresql":
        return 0
    return session.scalar(
        text("SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'staging_%'")
    )


def test_insert_new_of_a_few_rows_skips_duplicates_without_a_staging_table(session):
    """One SMS of a redemption must not create and drop a temporary table per transaction."""
    first = insert_new(session, Household.__table__, households(90, 2), ["external_id"])
    again = insert_new(session, Household.__table__, households(90, 3), ["external_id"])
    assert len(first) == 2 and len(again) == 1 and again[0] not in first
    assert _staging_tables(session) == 0
    assert session.scalar(select(func.count()).select_from(Household)) == 3


def test_insert_new_of_a_batch_goes_by_copy_through_a_staging_table(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite writes without a staging table (CI's second pass runs this)")
    ids = insert_new(session, Household.__table__, households(91, SMALL_BATCH + 1), ["external_id"])
    assert len(ids) == SMALL_BATCH + 1
    assert _staging_tables(session) == 1
