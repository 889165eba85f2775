"""Every SMS command, in Bangla and English, over both two-way channels:

- Twilio: a signed webhook answered with TwiML (Twilio's servers are the only thing mocked);
- Kannel: fakesmsc -> bearerbox -> smsbox -> the app (served on loopback) -> sendsms ->
  bearerbox -> fakesmsc, with the delivery report coming back to the app.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from foundation.i18n import translate
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Grievance, Status
from grievance.status import change_status
from outbound_sms.models import Message, MessageStatus
from outbound_sms.opt_outs import opted_out
from registry.models import Language
from tests.factories import make_citizen, make_filing
from tests.helpers import drain
from tests.peers.twilio_peer import signed_post
from tests.sms_support import message_id

PHONE = "+8801712345678"
HELP = (
    "Send: BALANCE, PAYMENT, STATUS number, COMPLAIN and a few words, NID number DDMMYYYY, STOP, START, LANG bn or en."
)


def bangla_help() -> str:
    """The help text as the Bangla catalog words it (its copy is reviewed apart from the code)."""
    return translate("bn", HELP)


class TwilioChannel:
    name = "twilio"

    def __init__(self, client) -> None:
        self.client = client

    def reply(self, body: str, sender: str = PHONE) -> str:
        form = {"From": sender, "Body": body, "MessageSid": message_id()}
        response = signed_post(self.client, "/sms/twilio/inbound", form)
        assert response.status_code == 200 and response.mimetype == "application/xml"
        return response.get_data(as_text=True).split("<Message>")[1].split("</Message>")[0]


class KannelChannel:
    name = "kannel"

    def __init__(self, app, session, peer) -> None:
        self.app, self.session, self.peer = app, session, peer

    def reply(self, body: str, sender: str = PHONE) -> str:
        self.session.commit()  # end the test's read transaction: the app writes from another thread
        return self.peer.phone(sender, body, wait_for_reply=lambda: drain(self.app))


@pytest.fixture(params=["twilio", "kannel"])
def channel(request, app, client, session):
    if request.param == "twilio":
        request.getfixturevalue("twilio")
        return TwilioChannel(client)
    return KannelChannel(app, session, request.getfixturevalue("kannel"))


@pytest.mark.parametrize("language", ["bn", "en"])
def test_commands_in_both_languages(channel, session, caller_with_money, language):
    caller_with_money.language = Language(language)
    session.commit()
    if language == "bn":
        assert channel.reply("ভাতা").startswith("বয়স্ক ভাতা: সর্বশেষ")
        assert channel.reply("টোকেন").startswith("খাদ্যবান্ধব: ৩০ কেজি চাল")
        assert channel.reply("কি?") == bangla_help()
    else:
        assert channel.reply("payment").startswith("Old Age Allowance: Last")
        assert channel.reply("BALANCE").startswith("Food Friendly: 30 kg rice")
        assert channel.reply("what?").startswith("Send: BALANCE")


def test_romanized_keywords_are_commands_answered_in_bangla(channel, session, caller_with_money):
    caller_with_money.language = Language.ENGLISH  # the romanized word, not the registration, says Bangla
    session.commit()
    assert channel.reply("bhata").startswith("বয়স্ক ভাতা: সর্বশেষ")
    assert channel.reply("Vata").startswith("বয়স্ক ভাতা: সর্বশেষ")
    assert channel.reply("sahajjo") == bangla_help()


def test_help_names_the_nid_command(channel, session):
    assert "NID number DDMMYYYY" in channel.reply("help")
    assert "এনআইডি নম্বর জন্মতারিখ" in channel.reply("সাহায্য")


def test_language_command_switches_and_is_saved(channel, session, caller_with_money):
    assert channel.reply("lang en") == "Language set."
    assert channel.reply("balance").startswith("Food Friendly:")
    assert channel.reply("ভাষা বাংলা") == "ভাষা বদলানো হয়েছে।"
    session.expire_all()
    assert caller_with_money.language == Language("bn")


def test_complain_then_status(channel, session):
    answer = channel.reply("complain the dealer refused my e-token", sender="+8801999000111")
    assert answer.startswith("Complaint received. Number ")
    number = answer.split("Number ")[1].split(".")[0]
    assert channel.reply(f"status {number}", sender="+8801999000111").startswith(f"Complaint {number}: ")
    session.expire_all()
    grievance = session.scalar(select(Grievance))
    assert grievance.channel.value == "sms" and grievance.text == "the dealer refused my e-token"


def test_complain_in_bangla_with_bengali_digits_in_status(channel, session):
    answer = channel.reply("অভিযোগ ডিলার চাল কম দিয়েছে", sender="+8801999000222")
    assert answer.startswith("অভিযোগ গৃহীত")
    session.expire_all()
    grievance = session.scalar(select(Grievance))
    assert grievance.text == "ডিলার চাল কম দিয়েছে"
    bengali = "".join("০১২৩৪৫৬৭৮৯"[int(d)] for d in grievance.tracking_number)
    assert bengali in answer
    assert channel.reply(f"অবস্থা {bengali}", sender="+8801999000222").startswith(f"অভিযোগ {bengali}")


def test_stop_and_start(channel, session):
    assert "no more alerts" in channel.reply("STOP")
    assert opted_out(session, PHONE)
    assert channel.reply("start") == "Alerts are on again."
    session.rollback()
    assert not opted_out(session, PHONE)


@pytest.fixture(params=["registered", "unregistered"])
def resolved(request, session, no_dispatch):
    """A complaint from PHONE (a registered citizen's, or not in the registry), routed and
    then marked resolved by an officer."""
    citizen_id = None
    if request.param == "registered":
        citizen_id = make_citizen(session, mobile=PHONE).id
        session.commit()
    grievance = file_grievance(session, make_filing(phone=PHONE, citizen_id=citizen_id, locale="bn")).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    change_status(session, grievance, Status.RESOLVED, "officer", "paid")
    session.commit()
    return grievance


def test_a_resolved_complaint_asks_and_2_reopens_it_on_appeal(channel, session, resolved):
    from notices.notifications import deliver_complaint_updates

    deliver_complaint_updates(resolved.id)
    asked = session.scalar(select(Message.text).where(Message.template == "complaint_resolved"))
    assert "হ্যাঁ হলে ১, না হলে ২" in asked
    assert "আপিল কর্মকর্তার কাছে" in channel.reply("2")
    session.expire_all()
    assert (resolved.status, resolved.tier) == (Status.APPEALED, 3)
    # The reply said so: no second SMS about the same change.
    assert deliver_complaint_updates(resolved.id) == 0


def test_yes_closes_a_resolved_complaint(channel, session, resolved):
    from notices.notifications import deliver_complaint_updates

    deliver_complaint_updates(resolved.id)  # the SMS that asks "is it resolved?"
    assert "বন্ধ করা হলো" in channel.reply("১")
    session.expire_all()
    assert resolved.status is Status.CLOSED


def test_a_kannel_reply_is_a_message_whose_delivery_report_arrives(app, session, kannel):
    KannelChannel(app, session, kannel).reply("help")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        session.rollback()
        message = session.scalar(select(Message).where(Message.template == "reply"))
        if message is not None and message.status is MessageStatus.DELIVERED:
            break
        time.sleep(0.1)
    assert message.provider == "kannel" and message.status is MessageStatus.DELIVERED
    assert (message.encoding, message.segments) == ("GSM-7", 1)


@pytest.mark.parametrize("language", ["bn", "en"])
def test_a_long_payment_answer_keeps_to_two_segments_and_points_to_ussd(client, session, twilio, language):
    from outbound_sms.encoding import segments
    from tests.factories import make_enrolment, make_payment

    citizen = make_citizen(session, age=70, mobile=PHONE, language=Language(language))
    for code in ("OAA", "WDA", "PDA", "MCBP", "EGPP", "PESP"):
        make_enrolment(session, citizen, code)
        make_payment(session, citizen, code, amount_bdt=1_234_567)
    session.commit()
    answer = TwilioChannel(client).reply("payment" if language == "en" else "ভাতা")
    assert segments(answer).segments <= 2
    assert answer.endswith("More: dial *123#." if language == "en" else "আরও জানতে *১২৩# ডায়াল করুন।")


def test_the_citizen_answers_an_offices_question(channel, session, resolved):
    number = resolved.tracking_number
    assert channel.reply(f"INFO {number} I collect at Debidwar union").startswith(("Thank you", "ধন্যবাদ"))
    session.expire_all()
    assert resolved.events[-1].note == "the citizen answered by SMS: I collect at Debidwar union"
    # Another phone cannot add to someone else's complaint.
    assert channel.reply(f"INFO {number} spam", sender="+8801999000333").startswith("No complaint")
    session.expire_all()
    assert "spam" not in resolved.events[-1].note


def test_a_failed_payment_answer_says_why_and_which_office_to_see(client, session, twilio):
    from registry.labels import failure_reason_label
    from tests.factories import make_old_age_beneficiary

    make_old_age_beneficiary(session, PHONE, language=Language.ENGLISH)
    reply = TwilioChannel(client).reply("payment")
    assert failure_reason_label("en", "wallet account inactive") in reply
    assert "Upazila Social Services Office" in reply and "inactive" in reply


def test_status_or_info_without_a_number_says_how_to_use_the_command(client, session, twilio):
    phone = TwilioChannel(client)
    assert phone.reply("status") == translate("en", "Send STATUS and the complaint's number, e.g. STATUS 123456789.")
    assert phone.reply("obostha").startswith("অবস্থা ও অভিযোগের নম্বর")
    assert phone.reply("info").startswith("Send INFO, the complaint's number")


def test_a_2_answers_the_question_asked_last_then_the_one_before(channel, session, resolved, app):
    """A resolution question and a payment question open together on one phone."""
    from foundation.clock import utcnow
    from foundation.i18n import to_bengali_digits
    from grievance.models import Category
    from notices.confirmations import deliver_confirmations
    from notices.notifications import deliver_complaint_updates
    from registry.models import Citizen, PaymentConfirmation
    from tests.factories import make_payment

    deliver_complaint_updates(resolved.id)  # asked first: "is it resolved?"
    citizen = session.get(Grievance, resolved.id).citizen_id
    if citizen is None:  # the unregistered complainant: the registry pays them under this phone too
        citizen = make_citizen(session, mobile=PHONE).id
    payment = make_payment(session, session.get(Citizen, citizen), "OAA", cycle="2026-10")
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=utcnow()))
    session.commit()
    assert deliver_confirmations([payment.id]) == 1  # asked last: "did you receive Tk 600?"
    denied = channel.reply("2")
    session.expire_all()
    complaint = session.scalars(select(Grievance).where(Grievance.payment_id == payment.id)).one()
    assert complaint.category is Category.PAYMENT_NOT_RECEIVED
    assert denied == translate(
        "bn",
        "Sorry. Complaint %(number)s is filed: payment not received. The office will tell you what it finds.",
        number=to_bengali_digits(complaint.tracking_number),
    )
    assert session.get(PaymentConfirmation, payment.id).received is False
    assert session.get(Grievance, resolved.id).status is Status.RESOLVED  # not this one, yet
    assert "আপিল কর্মকর্তার কাছে" in channel.reply("2")  # the one before
    session.expire_all()
    assert session.get(Grievance, resolved.id).status is Status.APPEALED
    assert channel.reply("2") == bangla_help()  # nothing left open
