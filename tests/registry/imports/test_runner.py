import datetime as dt
import gc

import pytest
from sqlalchemy import text

from registry.imports import run_import
from registry.imports.runner import IMPORT_GC_THRESHOLD, ImportFileError
from tests.registry.conftest import citizen_row

TODAY = dt.date(2026, 11, 1)


def test_a_long_import_refreshes_the_planner_statistics_as_its_tables_grow(session, write_csv):
    """Later batches look up what earlier ones wrote; the planner must know the table grew."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite plans without ANALYZE statistics (CI's second pass runs this)")
    rows = [citizen_row(nid=f"{1_000_000_000 + i}", household_id=f"H{i}") for i in range(1000)]
    estimates = []

    def progress(_rows: int) -> None:  # called every 1,000 rows read, then once at the end
        estimates.append(session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'citizens'")))

    report = run_import(session, "citizens", write_csv("citizens", rows), batch_size=50, progress=progress, today=TODAY)
    assert report.committed
    # Refreshed after 50, 200 and 800 rows written: each time four times the last.
    assert estimates[0] == 800


def test_an_import_runs_the_collector_less_often_and_restores_it_after(session, write_csv):
    before = gc.get_threshold()
    during = []
    rows = [citizen_row(nid=f"{1_000_000_000 + i}", household_id=f"H{i}") for i in range(3)]

    def progress(_rows: int) -> None:
        during.append(gc.get_threshold())

    report = run_import(session, "citizens", write_csv("citizens", rows), progress=progress, today=TODAY)
    assert report.committed
    assert during == [(IMPORT_GC_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before


def test_a_failed_import_restores_the_collector_too(session, write_csv):
    before = gc.get_threshold()
    with pytest.raises(ImportFileError):
        run_import(session, "citizens", write_csv("citizens", [{"nid": "1234567890"}], columns=["nid"]))
    assert gc.get_threshold() == before
