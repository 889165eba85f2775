import datetime as dt

from monitoring.duplicates import likely_duplicates
from tests.factories import make_citizen

BORN = dt.date(1950, 5, 17)


def _nids(session):
    return {(r.group, r.matched_on, r.nid) for r in session.execute(likely_duplicates()).mappings()}


def test_the_same_english_name_written_differently_under_two_nids(session):
    a = make_citizen(session, rescore=False, name_en="Md. Abdul Karim", name_bn="আব্দুল করিম", date_of_birth=BORN)
    b = make_citizen(session, rescore=False, name_en="MD ABDUL-KARIM", name_bn="মোঃ করিম", date_of_birth=BORN)
    assert {nid for _, on, nid in _nids(session) if on == "en"} == {a.nid, b.nid}


def test_the_same_bangla_name_with_other_spacing_and_punctuation(session):
    a = make_citizen(session, rescore=False, name_en="Rahima", name_bn="রহিমা  বেগম", date_of_birth=BORN)
    b = make_citizen(session, rescore=False, name_en="Rohima", name_bn="রহিমা-বেগম.", date_of_birth=BORN)
    assert _nids(session) == {(1, "bn", a.nid), (1, "bn", b.nid)}


def test_another_birthday_is_not_a_duplicate(session):
    make_citizen(session, rescore=False, name_en="Abdul Karim", name_bn="ক", date_of_birth=BORN)
    make_citizen(session, rescore=False, name_en="Abdul Karim", name_bn="খ", date_of_birth=BORN + dt.timedelta(days=1))
    assert _nids(session) == set()


def test_another_upazila_is_not_a_duplicate(session):
    from tests.monitoring.conftest import other_upazila

    a = make_citizen(session, rescore=False, name_en="Abdul Karim", name_bn="ক", date_of_birth=BORN)
    make_citizen(
        session,
        rescore=False,
        name_en="Abdul Karim",
        name_bn="খ",
        date_of_birth=BORN,
        upazila_id=other_upazila(session, a.upazila_id),
    )
    assert _nids(session) == set()
