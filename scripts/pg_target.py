"""What scripts/backup and scripts/restore share: a database URL as libpq wants it.

DATABASE_URL is SQLAlchemy's form (postgresql+psycopg://…); pg_dump, pg_restore and psql
take libpq's (postgresql://…). The password travels in PGPASSWORD, never on a command line
that `ps` shows to every user of the machine; so does every option of the URL's query
string (?sslmode=require), each in its libpq environment variable, and an option libpq
has no variable for is refused rather than put on the command line.
Only the standard library: the scripts run on a database host without the project's venv.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[a-z0-9_]+)?://", re.IGNORECASE)


# A URL's query options and the libpq environment variable each goes in instead:
# https://www.postgresql.org/docs/current/libpq-envars.html
QUERY_OPTIONS = {
    "host": "PGHOST",  # a Unix socket directory: postgresql:///sahayata?host=/run/postgresql
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "client_encoding": "PGCLIENTENCODING",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "requiressl": "PGREQUIRESSL",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class Refusal(Exception):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Database:
    url: str  # libpq form, without the password or a query string
    password: str | None
    name: str
    settings: tuple[tuple[str, str], ...] = ()  # the query's options, as libpq variables

    @classmethod
    def from_url(cls, raw: str) -> Database:
        if not SCHEME.match(raw):
            scheme = raw.split(":", 1)[0] or "(none)"
            raise Refusal(
                f"not a PostgreSQL URL (scheme {scheme}); backups cover PostgreSQL only"
                " (a SQLite trial database is one file: copy it with `sqlite3 FILE .backup COPY`)"
            )
        parts = urlsplit(SCHEME.sub("postgresql://", raw, count=1))
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise Refusal(f"the URL names no database: {cls._shown(parts)}")
        password = unquote(parts.password) if parts.password is not None else None
        settings = cls._settings(parts.query)
        bare = parts._replace(netloc=cls._netloc(parts), query="", fragment="")
        return cls(urlunsplit(bare), password, name, settings)

    def on(self, name: str) -> Database:
        """The same server and user, another database (e.g. `postgres` for CREATE DATABASE)."""
        parts = urlsplit(self.url)
        return Database(urlunsplit(parts._replace(path="/" + quote(name))), self.password, name, self.settings)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.settings)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env

    @staticmethod
    def _settings(query: str) -> tuple[tuple[str, str], ...]:
        """The query string's options as libpq environment variables; an unknown one (or
        one given twice) is refused, naming the option and never its value."""
        settings: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            variable = QUERY_OPTIONS.get(key)
            if variable is None:
                raise Refusal(f"the URL's option {key!r} is not one this script can pass to libpq; remove it")
            if variable in settings:
                raise Refusal(f"the URL gives the option {key!r} twice")
            settings[variable] = value
        return tuple(settings.items())

    def run(self, command: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(command, env=self.env(), **kwargs)

    def query(self, sql: str, **variables: str) -> list[str]:
        """Rows of ``sql`` through psql, one string each; ``:'name'`` and ``:"name"`` in the
        SQL are psql's quoting of the variables as a literal and as an identifier."""
        options = [f"--variable={key}={value}" for key, value in variables.items()]
        psql = ["psql", "--no-psqlrc", "--no-password", "--quiet", "--tuples-only", "--no-align"]
        done = self.run(
            [*psql, "--set=ON_ERROR_STOP=1", *options, f"--dbname={self.url}"],
            input=sql,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise Refusal(f"psql on {self.name}: {done.stderr.strip()}")
        return [line for line in done.stdout.splitlines() if line]

    @staticmethod
    def _netloc(parts) -> str:
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 address
            host = f"[{host}]"
        user = f"{quote(unquote(parts.username), safe='')}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{user}{host}{port}"

    @classmethod
    def _shown(cls, parts) -> str:
        return urlunsplit(parts._replace(netloc=cls._netloc(parts)))


def fail(message: str, code: int = 1) -> None:
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(code)
