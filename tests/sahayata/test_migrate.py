"""Alembic migrations build the schema the models describe, up and down, on this database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from foundation.db import Base, database
from registry.models import in_the_models
from sahayata import migrate


def test_models_and_migrations_agree(app):
    with database(app).engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": in_the_models})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade(scratch_app):
    migrate.upgrade(scratch_app)
    assert "citizens" in inspect(database(scratch_app).engine).get_table_names()
    migrate.downgrade(scratch_app, "base")
    assert "citizens" not in inspect(database(scratch_app).engine).get_table_names()
    migrate.upgrade(scratch_app)
    assert "citizens" in inspect(database(scratch_app).engine).get_table_names()


def test_db_upgrade_command_loads_reference_data_idempotently(scratch_app):
    from sqlalchemy import func, select

    from registry.models import Cluster, District, EligibilityRule, Ministry, Programme, Upazila

    runner = scratch_app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
    with scratch_app.app_context(), database(scratch_app).sessions() as session:
        counts = {
            m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (Cluster, Ministry, Programme, District, Upazila)
        }
        assert counts == {"clusters": 5, "ministries": 8, "programmes": 13, "districts": 64, "upazilas": 494}
        assert session.scalar(select(func.count()).select_from(EligibilityRule)) > 13
        assert session.get(District, 1).name_bn == "কুমিল্লা"


def test_upgrade_keeps_existing_registry_rows(scratch_app):
    """Migrating a database that already holds reference rows keeps them (and fills new columns)."""
    from sqlalchemy import text

    migrate.upgrade(scratch_app, "0001")
    with database(scratch_app).engine.begin() as connection:
        connection.execute(text("INSERT INTO ministries VALUES ('M', 'Ministry', 'মন্ত্রণালয়')"))
        connection.execute(text("INSERT INTO clusters (code, name_en, name_bn) VALUES ('SA', 'Social', 'সামাজিক')"))
        connection.execute(
            text(
                "INSERT INTO programmes (code, name_en, name_bn, lead_ministry_code, cluster_code, benefit_type) "
                "VALUES ('P', 'Programme', 'কর্মসূচি', 'M', 'SA', 'cash')"
            )
        )
    migrate.upgrade(scratch_app)
    with database(scratch_app).engine.connect() as connection:
        assert connection.execute(text("SELECT code, short_name_en FROM programmes")).all() == [("P", "")]


def test_0009_fills_in_when_earlier_complaints_were_resolved(scratch_app):
    """A Thursday filing resolved the next Sunday: Friday and Saturday are off, so 1 working day."""
    from sqlalchemy import text

    migrate.upgrade(scratch_app, "0008")
    with database(scratch_app).engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO grievances (id, tracking_number, phone_hash, category, channel, locale, status, tier, "
                "created_at, updated_at) VALUES (1, '100000001', 'h', 'other', 'sms', 'bn', 'resolved', 1, "
                "'2026-11-05 04:00:00+00', '2026-11-05 04:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO grievance_events (grievance_id, at, actor, to_status) VALUES "
                "(1, '2026-11-08 05:00:00+00', 'officer', 'resolved'), (1, '2026-11-20 05:00:00+00', 'x', 'resolved')"
            )
        )
    migrate.upgrade(scratch_app)
    with database(scratch_app).engine.connect() as connection:
        days, at = connection.execute(text("SELECT resolution_working_days, first_resolved_at FROM grievances")).one()
    assert days == 1 and str(at).startswith("2026-11-08")
