"""Open data anyone may download: complaint counts per finished month, frozen once published.

GET /open-data/                             the catalogue (JSON): files, licence, months published
GET /open-data/grievances.csv               counts by month, programme, ministry, district, category, status
GET /open-data/grievances.dictionary.md     what each column means, how months and suppression work
GET /open-data/LICENSE                      the data's licence (CC BY 4.0)
GET /open-data/signals.csv, signals.json    leakage signals per district (redemptions, disputed,
                                            payments confirmed and denied), small counts suppressed
GET /open-data/signals.dictionary.md        what each of those columns means

No personal data is read. How a month is published and why no total is published:
staff/opendata/publish.py. `flask --app wsgi opendata publish` publishes the finished months
ahead of the first download (the scheduler's job); a download publishes any still missing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy.orm import Session

from foundation.cache import cached
from foundation.db import db_session
from staff import aggregates
from staff.opendata.publish import (
    COLUMNS,
    SUPPRESS_BELOW,
    SUPPRESSED,
    Month,
    MonthNotFinished,
    last_finished_month,
    publish_finished_months,
    publish_month,
    published_months,
    published_rows,
)

bp = Blueprint("open_data", __name__, cli_group="opendata")
HERE = Path(__file__).parent
DICTIONARY = HERE / "grievances.dictionary.md"
SIGNALS_DICTIONARY = HERE / "signals.dictionary.md"
SIGNAL_COLUMNS = ("district", "redemptions", "disputed", "confirmed", "denied")
LICENCE = HERE / "LICENSE.md"
LICENCE_NAME = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# Published cells never change, so a process may keep the file for as long as no further
# month has ended; the key holds the last finished month, so a new month shows at once.
CACHE_SECONDS = 600


def _link_header(dataset: str = "grievances") -> str:
    """Where a downloader finds the file's meaning and terms (RFC 8288 relations)."""
    described = url_for("open_data.signals_dictionary" if dataset == "signals" else "open_data.dictionary")
    return ", ".join(
        [
            f'<{described}>; rel="describedby"; type="text/markdown"',
            f'<{url_for("open_data.licence")}>; rel="license"',
            f'<{LICENCE_URL}>; rel="license"',
        ]
    )


@bp.get("/open-data/")
def catalogue() -> Response:
    session = db_session()
    months = cached(("open-data.months", str(last_finished_month())), lambda: _months_after_publishing(session))
    return jsonify(
        {
            "publisher": "Sahayata",
            "licence": {"id": LICENCE_NAME, "url": LICENCE_URL, "text": url_for("open_data.licence")},
            "datasets": [
                {
                    "id": "grievances",
                    "title": "Complaints about social protection programmes, per month",
                    "title_bn": "সামাজিক সুরক্ষা কর্মসূচি নিয়ে অভিযোগ, মাসভিত্তিক",
                    "data": url_for("open_data.grievances_csv"),
                    "format": "text/csv",
                    "dictionary": url_for("open_data.dictionary"),
                    "licence": LICENCE_NAME,
                    "suppression": f"counts under {SUPPRESS_BELOW} are written <{SUPPRESS_BELOW}; no totals",
                    "months": months,
                },
                {
                    "id": "signals",
                    "title": "E-token redemptions and payment confirmations, per district",
                    "title_bn": "জেলাভিত্তিক ই-টোকেন বিতরণ ও পেমেন্ট নিশ্চিতকরণ",
                    "data": url_for("open_data.signals_csv"),
                    "json": url_for("open_data.signals_json"),
                    "format": "text/csv",
                    "dictionary": url_for("open_data.signals_dictionary"),
                    "licence": LICENCE_NAME,
                    "suppression": f"counts under {SUPPRESS_BELOW} are written <{SUPPRESS_BELOW}; no totals",
                },
            ],
        }
    )


@bp.get("/open-data/grievances.csv")
def grievances_csv() -> Response:
    session = db_session()
    body = cached(("open-data.grievances", str(last_finished_month())), lambda: _grievances_csv(session), CACHE_SECONDS)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=grievances.csv", "Link": _link_header()},
    )


def _signal_rows(session: Session) -> tuple[str, list[tuple[str, ...]]]:
    """(as of, per district each count as published): the complaints' threshold and no totals
    (monitoring.opendata applies the rule; the threshold is this package's). Recounted with
    the dashboards' activity every few minutes (staff.aggregates), so a download reads one
    stored row and scans nothing."""
    as_of, rows = aggregates.signal_rows(session)
    shown = [(row[0], *(SUPPRESSED if value is None else str(value) for value in row[1:])) for row in rows]
    return as_of.isoformat(), shown


@bp.get("/open-data/signals.csv")
def signals_csv() -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SIGNAL_COLUMNS)
    writer.writerows(_signal_rows(db_session())[1])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=signals.csv", "Link": _link_header("signals")},
    )


@bp.get("/open-data/signals.json")
def signals_json() -> Response:
    as_of, shown = _signal_rows(db_session())
    rows = [dict(zip(SIGNAL_COLUMNS, row, strict=True)) for row in shown]
    response = jsonify({"suppressed": SUPPRESSED, "as_of": as_of, "districts": rows})
    response.headers["Link"] = _link_header("signals")
    return response


@bp.get("/open-data/signals.dictionary.md")
def signals_dictionary() -> Response:
    return _document(SIGNALS_DICTIONARY)


@bp.get("/open-data/grievances.dictionary.md")
def dictionary() -> Response:
    return _document(DICTIONARY)


@bp.get("/open-data/LICENSE")
def licence() -> Response:
    return _document(LICENCE)


def _document(path: Path) -> Response:
    return Response(path.read_text(encoding="utf-8"), mimetype="text/markdown")


def _grievances_csv(session) -> str:
    publish_finished_months(session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(published_rows(session))
    return out.getvalue()


def _months_after_publishing(session) -> list[dict[str, str]]:
    publish_finished_months(session)
    return [{"month": month, "published_at": at.isoformat()} for month, at in published_months(session)]


@bp.cli.command("publish")
@click.option("--month", "month_text", default=None, help="YYYY-MM (default: every finished month not yet published).")
def publish_command(month_text: str | None) -> None:
    """Publish finished months' complaint counts (a published month never changes)."""
    session = db_session()
    if month_text is None:
        done = publish_finished_months(session)
        click.echo(f"published {', '.join(map(str, done))}" if done else "nothing to publish")
        return
    try:
        month = Month.parse(month_text)
        published = publish_month(session, month)
    except (ValueError, MonthNotFinished) as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"published {month}" if published else f"{month} was published already; it stays as it was")
