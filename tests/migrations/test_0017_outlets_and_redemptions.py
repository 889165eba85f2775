"""Migration 0017: outlets and redemptions come and go without touching what was there."""

from sqlalchemy import inspect

from foundation.db import database
from sahayata import migrate

NEW_TABLES = {"outlets", "outlet_programmes", "redemptions", "payment_confirmations"}


def _tables(app) -> set[str]:
    return set(inspect(database(app).engine).get_table_names())


def _columns(app, table: str) -> set[str]:
    return {column["name"] for column in inspect(database(app).engine).get_columns(table)}


def test_0017_downgrades_to_0016_and_upgrades_again(scratch_app):
    migrate.upgrade(scratch_app, "0017")
    assert _tables(scratch_app) >= NEW_TABLES
    assert {"outlet_id", "operator_mobile", "redemption_id"} <= _columns(scratch_app, "etoken_ledger")
    migrate.downgrade(scratch_app, "0016")
    assert not NEW_TABLES & _tables(scratch_app)
    assert "redemption_id" not in _columns(scratch_app, "etoken_ledger")
    assert "redemption_id" not in _columns(scratch_app, "grievances")
    migrate.upgrade(scratch_app, "0017")
    assert _tables(scratch_app) >= NEW_TABLES
    assert "redemption_id" in _columns(scratch_app, "grievances")
