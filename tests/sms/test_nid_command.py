"""Eligibility by SMS with an NID and date of birth, from any phone: decisions per programme
in 2 segments, the 5 look-ups a day shared with USSD, and nothing of the person's facts."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from foundation.i18n import to_bengali_digits
from foundation.jobs import redis_connection
from outbound_sms.encoding import segments
from registry.lookups import LOOKUPS_PER_DAY
from registry.models import MaritalStatus
from tests.factories import make_citizen, make_household
from tests.helpers import drain
from tests.peers.twilio_peer import signed_post
from tests.sms_support import message_id

STRANGER = "+8801999000222"  # registered nowhere
_ussd_sessions = itertools.count(1)


@pytest.fixture(autouse=True)
def no_lookups_counted(app):
    """Each test starts with no look-ups counted (real Redis keeps them for two days)."""

    def forget() -> None:
        redis = redis_connection(app)
        for key in redis.scan_iter("lookups:*"):
            redis.delete(key)

    forget()
    yield
    forget()


@pytest.fixture
def person(session):
    """Rahima, 70, in a poor household: eligible for some programmes, not for others."""
    household = make_household(session, monthly_income_bdt=Decimal(4321), land_decimal=Decimal(3))
    citizen = make_citizen(
        session, age=70, household=household, name_en="Rahima Khatun", name_bn="রহিমা খাতুন", nid="1987654321"
    )
    session.commit()
    return citizen


def sms(client, body: str, sender: str = STRANGER) -> str:
    """The reply to ``body`` through the signed Twilio webhook."""
    form = {"From": sender, "Body": body, "MessageSid": message_id()}
    response = signed_post(client, "/sms/twilio/inbound", form)
    assert response.status_code == 200
    return response.get_data(as_text=True).split("<Message>")[1].split("</Message>")[0]


def ussd_lookup(client, nid: str, born: str, phone: str = STRANGER) -> str:
    """A look-up through the real Africa's Talking endpoint (which sends the whole history):
    declining to resume the previous session, then menu 1, the NID, the date."""
    session_id = f"sms-test-{next(_ussd_sessions)}"
    history: list[str] = []

    def press(text: str | None) -> str:
        if text is not None:
            history.append(text)
        form = {"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": phone, "text": "*".join(history)}
        return client.post("/ussd/africastalking", data=form).get_data(as_text=True)

    if press(None).startswith("CON আগের জায়গা"):
        press("2")
    for text in ("1", nid):
        press(text)
    return press(born)


def ddmmyyyy(citizen) -> str:
    return citizen.date_of_birth.strftime("%d%m%Y")


def test_english_nid_command_from_an_unregistered_phone_answers_decisions_in_two_segments(client, twilio, person):
    answer = sms(client, f"NID {person.nid} {ddmmyyyy(person)}")
    assert answer.startswith("Eligible: ") and "Old Age Allowance" in answer
    assert "Needs verification: " in answer and "Freedom Fighter" in answer
    assert segments(answer).segments <= 2


def test_bangla_nid_command_with_bengali_digits_answers_in_bangla(client, twilio, person):
    answer = sms(client, f"এনআইডি {to_bengali_digits(person.nid)} {to_bengali_digits(ddmmyyyy(person))}")
    assert answer.startswith("যোগ্য: ") and "বয়স্ক ভাতা" in answer
    assert "যাচাই লাগবে: " in answer
    assert segments(answer).segments <= 2


def test_names_that_do_not_fit_give_way_to_ussd(client, twilio, session):
    """A poor young widow with a disability is eligible for many programmes: in Bangla (70
    code units a segment) not every name fits, and the reply says where to see the rest."""
    household = make_household(session, monthly_income_bdt=Decimal(1000), land_decimal=Decimal(1))
    widow = make_citizen(
        session, age=30, household=household, disability=True, marital_status=MaritalStatus.WIDOWED, nid="1987654322"
    )
    session.commit()
    answer = sms(client, f"এনআইডি {widow.nid} {ddmmyyyy(widow)}")
    assert answer.startswith("যোগ্য: ") and answer.endswith("আরও জানতে *১২৩# ডায়াল করুন।")
    assert segments(answer).segments == 2
    assert "বাকিগুলোর যোগ্য নন" not in answer  # "the others" would be wrong with names left out


@pytest.mark.parametrize("separator", ["-", "/", "."])
def test_a_date_of_birth_with_separators_is_read(client, twilio, person, separator):
    born = person.date_of_birth.strftime(f"%d{separator}%m{separator}%Y")
    assert sms(client, f"nid {person.nid} {born}").startswith("Eligible: ")


def test_a_registered_bangla_speaker_gets_bangla_for_the_english_keyword(client, twilio, session, person):
    helper = make_citizen(session, mobile="+8801700000999")  # registered with Bangla
    session.commit()
    assert sms(client, f"NID {person.nid} {ddmmyyyy(person)}", sender=helper.mobile).startswith("যোগ্য: ")


def test_the_reply_tells_no_facts_of_the_person(client, twilio, person):
    for body in (f"NID {person.nid} {ddmmyyyy(person)}", f"এনআইডি {person.nid} {ddmmyyyy(person)}"):
        answer = sms(client, body)
        assert answer.startswith(("Eligible", "যোগ্য"))
        for fact in ("70", "৭০", "4321", "4,321", "৪,৩২১", "৪৩২১", "Rahima", "রহিমা", person.nid, "age", "বয়স "):
            assert fact not in answer, (fact, answer)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("NID", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("NID 1987654321", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("NID 12345 05031960", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("NID 1987654321 31021960", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("NID 1987654321 05131960", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("NID 1987654321 05031860", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("NID 1987654321 05033960", "Send NID, the NID number and the date of birth as DDMMYYYY"),  # not yet
        ("NID 1987654321 5031960", "Send NID, the NID number and the date of birth as DDMMYYYY"),
        ("এনআইডি ১৯৮৭৬৫৪৩২১", "এনআইডি, এনআইডি নম্বর ও জন্মতারিখ (দিনমাসবছর) লিখে পাঠান"),
        ("nid 1987654321 ০৫/১৩/১৯৬০", "এনআইডি, এনআইডি নম্বর ও জন্মতারিখ (দিনমাসবছর) লিখে পাঠান"),  # Bengali digits
    ],
)
def test_a_malformed_command_gets_the_format_and_costs_no_look_up(client, twilio, body, expected):
    assert sms(client, body).startswith(expected)
    assert not list(redis_connection(client.application).scan_iter("lookups:*"))


def test_not_found_says_how_to_enrol_without_saying_which_part_was_wrong(client, twilio, person):
    wrong_day = person.date_of_birth.replace(day=1 if person.date_of_birth.day != 1 else 2)
    by_date = sms(client, f"NID {person.nid} {wrong_day.strftime('%d%m%Y')}")
    by_nid = sms(client, f"NID 1987654320 {ddmmyyyy(person)}")
    assert by_date == by_nid
    assert by_date.startswith("No registered person with this NID and date of birth. To enrol, visit")


LIMIT_EN = "You have used today's 5 look-ups. Please try again tomorrow."
LIMIT_BN = "আজকের ৫টি খোঁজ শেষ"


def test_a_sixth_sms_look_up_gets_the_limit_and_no_decisions(client, twilio, person):
    wrong = person.date_of_birth.replace(year=person.date_of_birth.year - 1).strftime("%d%m%Y")
    for _ in range(LOOKUPS_PER_DAY - 1):  # a wrong date costs a look-up too
        assert sms(client, f"NID {person.nid} {wrong}").startswith("No registered person")
    assert sms(client, f"NID {person.nid} {ddmmyyyy(person)}").startswith("Eligible: ")
    assert sms(client, f"NID {person.nid} {ddmmyyyy(person)}") == LIMIT_EN
    assert LIMIT_BN in sms(client, f"এনআইডি {person.nid} {ddmmyyyy(person)}")
    assert sms(client, f"NID {person.nid} {ddmmyyyy(person)}", sender="+8801999000333").startswith("Eligible: ")


def test_five_ussd_look_ups_leave_none_for_sms(client, twilio, person):
    for _ in range(LOOKUPS_PER_DAY):
        assert ussd_lookup(client, person.nid, ddmmyyyy(person)).startswith("CON যোগ্যতা")
    assert sms(client, f"NID {person.nid} {ddmmyyyy(person)}") == LIMIT_EN


def test_five_sms_look_ups_leave_none_for_ussd(client, twilio, person):
    for _ in range(LOOKUPS_PER_DAY):
        assert sms(client, f"NID {person.nid} {ddmmyyyy(person)}").startswith("Eligible: ")
    assert LIMIT_BN in ussd_lookup(client, person.nid, ddmmyyyy(person))


def test_sms_and_ussd_look_ups_mixed_share_one_count(client, twilio, person):
    born = ddmmyyyy(person)
    assert sms(client, f"NID {person.nid} {born}").startswith("Eligible: ")
    assert ussd_lookup(client, person.nid, born).startswith("CON যোগ্যতা")
    assert sms(client, f"NID {person.nid} {born}").startswith("Eligible: ")
    assert ussd_lookup(client, person.nid, born).startswith("CON যোগ্যতা")
    assert sms(client, f"NID {person.nid} {born}").startswith("Eligible: ")
    assert LIMIT_BN in ussd_lookup(client, person.nid, born)
    assert sms(client, f"NID {person.nid} {born}") == LIMIT_EN


def test_the_nid_command_over_kannel(app, session, kannel, person):
    session.commit()  # the app answers from another thread
    reply = kannel.phone(STRANGER, f"এনআইডি {person.nid} {ddmmyyyy(person)}", wait_for_reply=lambda: drain(app))
    assert reply.startswith("যোগ্য: ") and segments(reply).segments <= 2


def test_logs_carry_neither_the_nid_nor_the_phone(client, twilio, person, caplog):
    caplog.set_level("DEBUG")
    sms(client, f"NID {person.nid} {ddmmyyyy(person)}")
    assert person.nid not in caplog.text and STRANGER not in caplog.text
