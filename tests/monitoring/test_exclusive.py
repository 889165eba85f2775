import csv

import pytest
from sqlalchemy import select

from monitoring.exclusive import EXCLUSIVE_PROGRAMMES, ExclusivePair, exclusive_enrolments, exclusive_pairs
from registry.models import EnrolmentStatus, Programme
from tests.factories import make_citizen, make_enrolment


def test_every_pair_names_known_programmes_a_source_and_a_status(session):
    known = set(session.scalars(select(Programme.code)))
    pairs = exclusive_pairs()
    assert pairs
    for pair in pairs:
        assert {pair.programme_a, pair.programme_b} <= known
        assert pair.source and pair.status in ("confirmed", "to confirm")


def test_a_pair_without_a_source_is_refused(tmp_path):
    path = tmp_path / "pairs.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["programme_a", "programme_b", "source", "status"])
        writer.writerow(["OAA", "WDA", "", "to confirm"])
    with pytest.raises(ValueError, match="source"):
        exclusive_pairs(path)
    assert EXCLUSIVE_PROGRAMMES.exists()


def test_a_person_in_both_programmes_of_a_pair_is_found_with_the_rule_s_status(session):
    pairs = (ExclusivePair("OAA", "GPEN", "rules", "confirmed"), ExclusivePair("OAA", "WDA", "notice", "to confirm"))
    both = make_citizen(session, rescore=False)
    make_enrolment(session, both, "OAA")
    make_enrolment(session, both, "WDA")
    near_miss = make_citizen(session, rescore=False)  # OAA and a programme outside every pair
    make_enrolment(session, near_miss, "OAA")
    make_enrolment(session, near_miss, "FFP")
    rows = session.execute(exclusive_enrolments(pairs)).mappings().all()
    assert [(r.nid, r.programme_a, r.programme_b, r.rule_status) for r in rows] == [
        (both.nid, "OAA", "WDA", "to confirm")
    ]


def test_an_exited_enrolment_is_not_a_conflict(session):
    pairs = (ExclusivePair("OAA", "GPEN", "rules", "confirmed"),)
    person = make_citizen(session, rescore=False)
    make_enrolment(session, person, "OAA")
    make_enrolment(session, person, "GPEN", status=EnrolmentStatus.EXITED)
    assert session.execute(exclusive_enrolments(pairs)).all() == []
