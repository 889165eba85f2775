"""scripts/backup and scripts/restore: a seeded database backed up, restored into a scratch
one, found the same table by table, and serving a USSD session from the copy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from foundation.config import PROJECT_ROOT
from foundation.db import database
from sahayata.app import create_app
from tests.ussd_app.conftest import Phone

SCRIPTS = PROJECT_ROOT / "scripts"
FLASK = str(Path(sys.executable).parent / "flask")
DUMP_NAME = re.compile(r"^sahayata-(\w+)-\d{8}T\d{6}Z\.dump$")


def _run(*command: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, **settings}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Scratch:
    """Databases of the suite's PostgreSQL server made (or named) for one test, all dropped after it."""

    def __init__(self, suite_url: str) -> None:
        self.url = make_url(suite_url)
        self.names: list[str] = []

    def database(self, purpose: str, *, create: bool = True) -> str:
        name = f"sahayata_{purpose}_{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        if create:
            with psycopg.connect(_dsn(str(self.url)), autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(_dsn(str(self.url)), autocommit=True) as admin:
            for name in self.names:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def scratch(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("embedded mode: backups are of PostgreSQL (CI's PostgreSQL and Redis pass runs this)")
    made = Scratch(database_url)
    yield made
    made.drop_all()


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(_dsn(url)) as connection:
        tables = [row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        count = sql.SQL("SELECT count(*) FROM {}")
        return {table: connection.execute(count.format(sql.Identifier(table))).fetchone()[0] for table in tables}


def _sequences(url: str) -> dict[str, int | None]:
    with psycopg.connect(_dsn(url)) as connection:
        rows = connection.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        return dict(rows.fetchall())


# A Bangla-speaking caller, first on their phone, paid under one programme only: "My payments"
# goes straight to that programme's latest payment.
ONE_PROGRAMME_CALLER = """
SELECT c.mobile, g.short_name_bn, p.amount_bdt
FROM citizens c JOIN payments p ON p.citizen_id = c.id JOIN programmes g ON g.code = p.programme_code
WHERE c.language = 'bn' AND c.mobile IS NOT NULL
  AND c.id = (SELECT min(o.id) FROM citizens o WHERE o.mobile = c.mobile)
  AND (SELECT count(DISTINCT q.programme_code) FROM payments q WHERE q.citizen_id = c.id) = 1
ORDER BY c.id, p.cycle DESC
LIMIT 1
"""


def test_a_seeded_database_backed_up_and_restored_is_the_same_and_serves_ussd(app, scratch, tmp_path):
    source = scratch.database("backup_source")
    seeding = _env(DATABASE_URL=source)
    for command in (("db", "upgrade"), ("demo-data", "--citizens", "200", "--seed", "1"), ("staff", "demo-accounts")):
        done = _run(FLASK, "--app", "wsgi", *command, env=seeding)
        assert done.returncode == 0, done.stderr[-2000:]

    backed = _run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), source)
    assert backed.returncode == 0, backed.stderr
    dump = Path(backed.stdout.strip())
    assert dump.parent == tmp_path and DUMP_NAME.match(dump.name).group(1) == make_url(source).database
    assert [path.name for path in tmp_path.iterdir()] == [dump.name]  # no partial file left
    assert dump.stat().st_mode & 0o077 == 0  # every NID and phone number is in it

    target = scratch.database("restored", create=False)
    restored = _run(str(SCRIPTS / "restore"), str(dump), target)
    assert restored.returncode == 0, restored.stderr

    before, after = _row_counts(source), _row_counts(target)
    assert after == before
    assert before["citizens"] == 200 and before["alembic_version"] == 1
    assert all(before[table] for table in ("payments", "enrolments", "grievances", "staff_users", "outlets"))
    # Sequences come back where they were, so the next row written gets a fresh id.
    assert _sequences(target) == _sequences(source)

    copy = create_app({"DATABASE_URL": target, "REDIS_URL": None})
    try:
        with psycopg.connect(_dsn(target)) as connection:
            mobile, programme, amount = connection.execute(ONE_PROGRAMME_CALLER).fetchone()
        phone = Phone(copy.test_client(), mobile)
        assert phone.dial_fresh().startswith("CON সহায়তা\n")
        payments = phone.read_on(phone.press("2"))
        digits = payments.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")).replace(",", "")
        assert payments.startswith(f"{programme}: ") and f"{int(amount)} " in digits, payments
    finally:
        database(copy).engine.dispose()

    # A database that holds tables is never overwritten by accident.
    again = _run(str(SCRIPTS / "restore"), str(dump), target)
    assert again.returncode == 1 and "--force" in again.stderr
    assert _row_counts(target) == before
    forced = _run(str(SCRIPTS / "restore"), "--force", str(dump), target)
    assert forced.returncode == 0, forced.stderr
    assert _row_counts(target) == before


def test_restore_into_an_empty_existing_database_by_name_on_the_configured_server(app, scratch, database_url, tmp_path):
    source = scratch.database("backup_source")
    assert _run(FLASK, "--app", "wsgi", "db", "upgrade", env=_env(DATABASE_URL=source)).returncode == 0
    dump = Path(_run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), env=_env(DATABASE_URL=source)).stdout.strip())
    target = scratch.database("restored")  # exists, empty
    name = make_url(target).database
    done = _run(str(SCRIPTS / "restore"), str(dump), name, env=_env(DATABASE_URL=database_url))
    assert done.returncode == 0, done.stderr
    assert _row_counts(target) == _row_counts(source)


def test_backup_refuses_what_is_not_a_postgresql_database_and_leaves_no_file(tmp_path):
    refused = _run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), f"sqlite:///{tmp_path / 'x.db'}")
    assert refused.returncode == 2 and "PostgreSQL only" in refused.stderr
    nothing = _run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), env=_env())
    assert nothing.returncode == 2 and "DATABASE_URL" in nothing.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_dump_exits_non_zero_and_leaves_no_file(tmp_path):
    # Nothing listens on port 1: pg_dump cannot connect.
    unreachable = "postgresql+psycopg://sahayata:secret-password@127.0.0.1:1/sahayata"
    failed = _run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), unreachable)
    assert failed.returncode == 1 and "pg_dump of sahayata failed" in failed.stderr
    assert "secret-password" not in failed.stderr
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_file_that_is_not_a_dump(tmp_path):
    bogus = tmp_path / "sahayata-x-20260101T000000Z.dump"
    bogus.write_text("not a dump")
    done = _run(str(SCRIPTS / "restore"), str(bogus), "postgresql://postgres@127.0.0.1:1/anything")
    assert done.returncode == 2 and "not a readable pg_dump file" in done.stderr


def test_a_forced_restore_that_fails_leaves_the_old_database_as_it_was(app, scratch, tmp_path):
    source = scratch.database("backup_source")
    assert _run(FLASK, "--app", "wsgi", "db", "upgrade", env=_env(DATABASE_URL=source)).returncode == 0
    dump = Path(_run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), source).stdout.strip())
    target = scratch.database("restored", create=False)
    assert _run(str(SCRIPTS / "restore"), str(dump), target).returncode == 0
    with psycopg.connect(_dsn(target), autocommit=True) as connection:
        connection.execute("CREATE TABLE kept_by_the_old_database (id int)")
    before = _row_counts(target)
    name = make_url(target).database
    scratch.names += [name + "_restoring", name + "_replaced"]  # dropped after, should the script leave them
    # A backup cut short: its table of contents reads, its last table's data does not.
    broken = tmp_path / "broken.dump"
    broken.write_bytes(dump.read_bytes()[:-1000])
    assert _run("pg_restore", "--list", str(broken)).returncode == 0

    failed = _run(str(SCRIPTS / "restore"), "--force", str(broken), target)
    assert failed.returncode == 1 and f"pg_restore into {name}_restoring failed" in failed.stderr
    assert _row_counts(target) == before
    with psycopg.connect(_dsn(source), autocommit=True) as connection:
        left = connection.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (name + "%",)).fetchall()
    assert left == [(name,)]


def test_a_forced_restore_swaps_the_new_database_in_past_open_connections(app, scratch, tmp_path):
    source = scratch.database("backup_source")
    assert _run(FLASK, "--app", "wsgi", "db", "upgrade", env=_env(DATABASE_URL=source)).returncode == 0
    dump = Path(_run(str(SCRIPTS / "backup"), "--dir", str(tmp_path), source).stdout.strip())
    target = scratch.database("restored")
    name = make_url(target).database
    scratch.names += [name + "_restoring", name + "_replaced"]
    with psycopg.connect(_dsn(target), autocommit=True) as connection:
        connection.execute("CREATE TABLE only_in_the_old_database (id int)")
        done = _run(str(SCRIPTS / "restore"), "--force", str(dump), target)  # this connection still open
    assert done.returncode == 0, done.stderr
    assert _row_counts(target) == _row_counts(source)
    with psycopg.connect(_dsn(source), autocommit=True) as connection:
        left = connection.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (name + "%",)).fetchall()
    assert left == [(name,)]


def test_a_urls_query_options_go_to_libpq_variables_never_to_the_command_line(tmp_path):
    # A pg_dump that records what it was given, then fails as if the server were down.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv"
    fake = bin_dir / "pg_dump"
    seen = '"$@" "PGPASSWORD=$PGPASSWORD" "PGSSLMODE=$PGSSLMODE"'
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" {seen} > {record}\nexit 1\n')
    fake.chmod(0o755)
    env = _env(PATH=f"{bin_dir}:{os.environ['PATH']}")
    out = tmp_path / "out"
    out.mkdir()
    url = "postgresql+psycopg://sahayata@db.example:5433/sahayata?sslmode=require&password=secret-in-query"
    failed = _run(str(SCRIPTS / "backup"), "--dir", str(out), url, env=env)
    assert failed.returncode == 1 and "secret-in-query" not in failed.stderr
    given = record.read_text().splitlines()
    assert "PGPASSWORD=secret-in-query" in given and "PGSSLMODE=require" in given
    assert not any("secret-in-query" in arg or "?" in arg for arg in given[:-2])
    unknown = _run(str(SCRIPTS / "backup"), "--dir", str(out), "postgresql://h/db?sneaky=value-here", env=env)
    assert unknown.returncode == 2 and "'sneaky'" in unknown.stderr and "value-here" not in unknown.stderr
    assert list(out.iterdir()) == []
