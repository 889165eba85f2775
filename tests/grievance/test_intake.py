import datetime as dt

import pytest
from sqlalchemy import func, select

from foundation.privacy import phone_hash
from grievance.intake import file_grievance, find_by_tracking_number, mentions_money_demanded, status_by_tracking_number
from grievance.models import Category, Channel, Grievance, GrievanceEvent, OutboxEntry, Status
from grievance.status import TransitionNotAllowed, change_status
from grievance.tracking import check_digit
from tests.factories import make_citizen, make_filing

pytestmark = pytest.mark.usefixtures("no_dispatch")  # intake only: the jobs are tested apart
filing = make_filing


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_filing_commits_the_complaint_its_trail_and_its_outbox_together(session, no_dispatch):
    filed = file_grievance(session, filing())
    assert no_dispatch == [("notify_citizen", filed.grievance.id), ("route_grievance", filed.grievance.id)]
    grievance = filed.grievance
    assert not filed.duplicate and grievance.status is Status.RECEIVED and grievance.tier == 1
    [event] = grievance.events
    assert (event.from_status, event.to_status, event.actor) == (None, Status.RECEIVED, "citizen")
    kinds = sorted(session.scalars(select(OutboxEntry.kind).where(OutboxEntry.grievance_id == grievance.id)))
    assert kinds == ["notify_citizen", "route_grievance"]
    notify = session.scalar(select(OutboxEntry).where(OutboxEntry.kind == "notify_citizen"))
    assert notify.payload["locale"] == "bn" and grievance.contact_phone == "+8801712345678"
    session.rollback()  # committed already: nothing to undo
    assert find_by_tracking_number(session, grievance.tracking_number).id == grievance.id


def test_repeat_filings_are_recognised_by_a_keyed_hash_of_the_phone(session):
    grievance = file_grievance(session, filing()).grievance
    assert grievance.phone_hash == phone_hash("+8801712345678")
    assert "1712345678" not in grievance.phone_hash and len(grievance.phone_hash) == 64


def test_registered_citizen_gives_the_place(session):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, filing(citizen_id=citizen.id)).grievance
    assert (grievance.district_id, grievance.upazila_id) == (citizen.district_id, citizen.upazila_id)


def test_same_phone_category_and_programme_within_24_hours_gets_the_same_number(session):
    first = file_grievance(session, filing()).grievance
    again = file_grievance(session, filing(text="still nothing"))
    assert again.duplicate and again.grievance.id == first.id
    assert not file_grievance(session, filing(category=Category.OTHER)).duplicate
    assert not file_grievance(session, filing(programme_code="WDA")).duplicate
    assert not file_grievance(session, filing(phone="+8801812345678")).duplicate
    assert count(session, Grievance) == 4


def test_an_sms_complaint_in_other_words_the_same_day_is_another_complaint(session):
    def sms(text):
        return filing(category=Category.OTHER, programme_code=None, channel=Channel.SMS, text=text)

    first = file_grievance(session, sms("dealer chal kom dilo"))
    second = file_grievance(session, sms("member amar nam kete dise"))
    again = file_grievance(session, sms("member amar nam kete dise"))
    assert not second.duplicate and second.grievance.tracking_number != first.grievance.tracking_number
    assert again.duplicate and again.grievance.id == second.grievance.id
    assert count(session, Grievance) == 2


def test_the_same_complaint_told_again_keeps_the_new_words_in_its_trail(session):
    first = file_grievance(session, filing()).grievance
    again = file_grievance(session, filing(text="still nothing, the office says wait"))
    assert again.duplicate and again.grievance.id == first.id
    session.expire_all()
    notes = [event.note for event in session.get(Grievance, first.id).events]
    assert "the citizen wrote again: still nothing, the office says wait" in notes


def test_after_24_hours_it_is_a_new_complaint(session):
    first = file_grievance(session, filing()).grievance
    first.created_at = first.created_at - dt.timedelta(hours=25)
    session.commit()
    assert not file_grievance(session, filing()).duplicate


def test_wrong_check_digit_finds_nothing(session):
    number = file_grievance(session, filing()).grievance.tracking_number
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert find_by_tracking_number(session, wrong) is None


def test_a_complaints_status_by_its_number_tells_what_a_citizen_may_know(session):
    filed = file_grievance(session, filing()).grievance
    session.commit()
    found = status_by_tracking_number(session, filed.tracking_number)
    assert (found.tracking_number, found.status) == (filed.tracking_number, Status.RECEIVED)
    assert found.filed_at.replace(tzinfo=None) == filed.created_at.replace(tzinfo=None)
    wrong = filed.tracking_number[:-1] + str((int(filed.tracking_number[-1]) + 1) % 10)
    assert status_by_tracking_number(session, wrong) is None


def test_status_moves_only_along_allowed_transitions_and_keeps_a_trail(session):
    grievance = file_grievance(session, filing()).grievance
    with pytest.raises(TransitionNotAllowed):
        change_status(session, grievance, Status.RESOLVED, "officer")
    change_status(session, grievance, Status.ROUTED, "router")
    change_status(session, grievance, Status.ACKNOWLEDGED, "officer@mosw", "seen")
    change_status(session, grievance, Status.RESOLVED, "officer@mosw", "paid")
    change_status(session, grievance, Status.REOPENED, "citizen", "not paid")
    change_status(session, grievance, Status.APPEALED, "system")
    session.commit()
    trail = session.execute(
        select(GrievanceEvent.from_status, GrievanceEvent.to_status)
        .where(GrievanceEvent.grievance_id == grievance.id)
        .order_by(GrievanceEvent.id)
    ).all()
    assert [t.value for _, t in trail] == ["received", "routed", "acknowledged", "resolved", "reopened", "appealed"]
    assert grievance.tier == 3
    with pytest.raises(TransitionNotAllowed):
        change_status(session, grievance, Status.CLOSED, "officer")


def test_a_tracking_number_already_taken_is_drawn_again(session, monkeypatch):
    taken = file_grievance(session, filing()).grievance.tracking_number
    fresh = "12345678" + check_digit("12345678")
    draws = iter([taken, fresh])
    monkeypatch.setattr("grievance.intake.new_tracking_number", lambda: next(draws))
    assert file_grievance(session, filing(category=Category.OTHER)).grievance.tracking_number == fresh


# How citizens report a demand for money: Bangla (both encodings of য়), romanized Bangla as
# typed on feature phones, English.
MONEY_DEMANDED = [
    "চেয়ারম্যান ৫০০ টাকা চেয়েছে",
    "কার্ড করতে মেম্বার ১০০০ টাকা নিয়েছে",
    "ঘুষ ছাড়া ভাতা দেয় না",
    "৫০০টাকা দাবি করেছে",
    "টাকা দিতে বলেছে",
    "\u099f\u09be\u0995\u09be \u099a\u09c7\u09df\u09c7\u099b\u09c7",  # টাকা চেয়েছে, য় as one code point
    "\u099f\u09be\u0995\u09be \u099a\u09c7\u09af\u09bc\u09c7\u099b\u09c7",  # and as য + nukta
    "member 500 taka chaise",
    "ghush na dile card dibe na",
    "taka chay",
    "the officer asked for 500 taka",
    "they demanded money for the card",
]
UNDERPAID = [
    "৫০০ টাকা কম দিয়েছে",
    "টাকার চেয়ে কম পেয়েছি",  # "less than ... taka"
    "আমার টাকা চাই",  # "I want my money"
    "taka cheye kom paisi",
    "taka chai",
    "got 500 taka less than due",
    "no money since July",
]


@pytest.mark.parametrize("text", MONEY_DEMANDED)
def test_words_that_report_a_demand_for_money(text):
    assert mentions_money_demanded(text)


@pytest.mark.parametrize("text", [*UNDERPAID, "", None])
def test_words_of_an_underpayment_are_not_a_demand_for_money(text):
    assert not mentions_money_demanded(text)


@pytest.mark.parametrize(
    ("channel", "chosen"),
    [
        (Channel.USSD, Category.AMOUNT_SHORT),  # "paid less", then the words tell of a bribe
        (Channel.SMS, Category.OTHER),  # an SMS complaint has no category of its own
        (Channel.STAFF, Category.PAYMENT_NOT_RECEIVED),
    ],
)
def test_a_complaint_whose_words_report_a_demand_for_money_is_a_bribe_report(session, channel, chosen):
    filed = file_grievance(session, filing(channel=channel, category=chosen, text="মেম্বার ৫০০ টাকা চেয়েছে")).grievance
    assert filed.category is Category.BRIBE_OR_HARASSMENT and filed.category.sensitive
    [event] = filed.events
    assert event.note == f"filed as {chosen.value}; its text reports a demand for money: a bribe report"
    # Filed again the same day, it is the same complaint, not a second one under "paid less".
    again = file_grievance(session, filing(channel=channel, category=chosen, text="ঘুষ চেয়েছে"))
    assert again.duplicate and again.grievance.id == filed.id


@pytest.mark.parametrize("text", UNDERPAID)
def test_paid_less_stays_paid_less(session, text):
    grievance = file_grievance(session, filing(category=Category.AMOUNT_SHORT, text=text)).grievance
    assert grievance.category is Category.AMOUNT_SHORT and not grievance.category.sensitive
    assert grievance.events[0].note is None
