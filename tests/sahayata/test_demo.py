"""The demo's half year of complaints: filed and routed as citizens' are, dated back
consistently, moved on as an office would have, and in waves that open data can publish."""

import datetime as dt
from collections import Counter

from sqlalchemy import delete, select

from foundation.clock import as_utc
from grievance.models import Grievance, GrievanceEvent, OutboxEntry
from grievance.sla import DHAKA, resolution_days
from grievance.status import OPEN
from sahayata.demo import HISTORY_MONTHS, WAVE, WAVES_PER_MONTH, complaint_history
from staff.opendata.publish import Month
from tests.factories import make_citizen, make_enrolment

NOW = dt.datetime(2026, 10, 20, 6, 0, tzinfo=dt.UTC)


def _registry(session):
    for n in range(30):
        person = make_citizen(session, age=70, district="Cumilla" if n < 20 else "Jamalpur", rescore=False)
        make_enrolment(session, person, "OAA" if n % 3 else "FFP")
    session.commit()


def test_the_history_covers_each_month_in_waves(session, no_dispatch):
    _registry(session)
    filed = complaint_history(session, seed=5, now=NOW)
    complaints = session.scalars(select(Grievance)).all()
    assert filed == len(complaints) > (HISTORY_MONTHS + 1) * WAVES_PER_MONTH * WAVE
    months = Counter(Month.of(g.created_at) for g in complaints)
    this_month = Month.of(NOW)
    expected = {this_month}
    for _ in range(HISTORY_MONTHS):
        expected.add(min(expected).previous())
    assert set(months) == expected
    cells = Counter((Month.of(g.created_at), g.district_id, g.programme_code, g.category, g.status) for g in complaints)
    publishable = {cell[0] for cell, count in cells.items() if count >= 5 and cell[0] < this_month}
    assert publishable == expected - {this_month}  # every finished month has a count open data shows


def test_each_complaint_is_routed_and_dated_back_consistently(session, no_dispatch):
    _registry(session)
    complaint_history(session, seed=5, now=NOW)
    for grievance in session.scalars(select(Grievance)):
        filed, routed = as_utc(grievance.created_at), as_utc(grievance.routed_at)
        assert grievance.ministry_code and filed < routed < as_utc(grievance.due_at) and filed < NOW
        assert as_utc(grievance.sla_started_at) == routed
        events = session.scalars(
            select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id).order_by(GrievanceEvent.id)
        ).all()
        times = [as_utc(e.at) for e in events]
        assert times == sorted(times) and times[0] == filed and events[-1].to_status is grievance.status
        if grievance.first_resolved_at is not None:
            resolved = as_utc(grievance.first_resolved_at)
            assert routed < resolved <= NOW
            assert grievance.resolution_working_days == resolution_days(session, filed, resolved)


def test_older_complaints_are_mostly_closed_and_recent_ones_open(session, no_dispatch):
    _registry(session)
    complaint_history(session, seed=5, now=NOW)
    old, recent = Counter(), Counter()
    for grievance in session.scalars(select(Grievance)):
        age = NOW - as_utc(grievance.created_at)
        (old if age > dt.timedelta(days=60) else recent if age < dt.timedelta(days=20) else Counter())[
            grievance.status in OPEN
        ] += 1
    assert old[False] > 3 * old[True] and recent[True] > 3 * recent[False]
    today = NOW.astimezone(DHAKA).date()
    assert all(as_utc(g.created_at).astimezone(DHAKA).date() < today for g in session.scalars(select(Grievance)))


def test_the_same_seed_gives_the_same_history(session, no_dispatch):
    _registry(session)

    def history() -> list[tuple]:
        complaint_history(session, seed=5, now=NOW)
        made = sorted((as_utc(g.created_at), g.category, g.status) for g in session.scalars(select(Grievance)))
        for model in (OutboxEntry, GrievanceEvent, Grievance):
            session.execute(delete(model))
        session.commit()
        return made

    assert history() == history()
