"""GET /open-data/grievances.csv: complaint counts anyone may download.

Counts by month, programme, ministry, district, category and status; a count under 5 is
suppressed (written as "<5") so that no small group of people can be singled out. No
personal data is read.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response
from sqlalchemy import String, cast, func, select

from grievance.models import Grievance
from registry.models import District
from sahayata.cache import cached
from sahayata.db import db_session

bp = Blueprint("open_data", __name__)
SUPPRESS_BELOW = 5


CACHE_SECONDS = 600  # public and heavy: everyone gets the same file, at most 10 minutes old


@bp.get("/open-data/grievances.csv")
def grievances_csv() -> Response:
    body = cached("open-data.grievances", _grievances_csv, CACHE_SECONDS)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=grievances.csv"})


def _grievances_csv() -> str:
    session = db_session()
    month = func.substr(cast(Grievance.created_at, String), 1, 7)  # YYYY-MM, UTC
    rows = session.execute(
        select(
            month.label("month"),
            Grievance.programme_code,
            Grievance.ministry_code,
            District.name_en,
            Grievance.category,
            Grievance.status,
            func.count(),
        )
        .outerjoin(District, District.id == Grievance.district_id)
        .group_by(
            month,
            Grievance.programme_code,
            Grievance.ministry_code,
            District.name_en,
            Grievance.category,
            Grievance.status,
        )
        .order_by(month, Grievance.programme_code, Grievance.ministry_code, District.name_en)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "programme", "ministry", "district", "category", "status", "complaints"])
    for month_value, programme, ministry, district, category, status, count in rows:
        shown = str(count) if count >= SUPPRESS_BELOW else f"<{SUPPRESS_BELOW}"
        writer.writerow(
            [month_value, programme or "", ministry or "", district or "", category.value, status.value, shown]
        )
    return out.getvalue()
