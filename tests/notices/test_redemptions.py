"""The code and receipt SMS: where and what, within 2 parts in every locale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from notices.redemptions import code_text, receipt_text
from outbound_sms.encoding import strictest
from outbound_sms.models import Message
from registry import redemptions
from registry.models import Language, RedemptionChannel
from tests.redemption_support import beneficiary, make_outlet

LOCALES = ("bn", "bn_Latn", "en")
# The longest names an outlets file may carry (200 characters), in both scripts.
LONG_BN = "মেসার্স আলহাজ্ব মোহাম্মদ আব্দুর রহমান চৌধুরী খাদ্যবান্ধব কর্মসূচি ডিলার " * 3
LONG_EN = ("Messrs Alhaj Mohammad Abdur Rahman Chowdhury Food Friendly Programme Dealer " * 3)[:200]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_code_sms_says_where_what_and_warns_within_two_parts(app_context, locale):
    name = "Karim Rice Dealer" if locale != "bn" else "করিম চাল ডিলার"
    text = code_text(locale, name, Decimal(30), "kg rice", "482913")
    assert name in text
    assert strictest(text).segments <= 2
    if locale == "bn":
        assert "৪৮২৯১৩" in text and "৩০ কেজি চাল" in text and "২" in text
    else:
        assert "482913" in text and "30" in text and "2" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_worst_case_outlet_name_is_shortened_never_the_code(app_context, locale):
    name = LONG_BN[:200] if locale == "bn" else LONG_EN
    code = code_text(locale, name, Decimal("12345.5"), "kg rice", "000123")
    receipt = receipt_text(locale, name, Decimal("12345.5"), "kg rice", Decimal("99999.5"))
    for text in (code, receipt):
        assert strictest(text).segments <= 2, (locale, text)
        assert name[:7] in text  # the name is shortened, not dropped
    assert "…" in code or "..." in code
    assert ("০০০১২৩" if locale == "bn" else "000123") in code


@pytest.mark.parametrize("locale", LOCALES)
def test_the_receipt_says_what_where_and_the_balance_left(app_context, locale):
    name = "Karim Rice Dealer" if locale != "bn" else "করিম চাল ডিলার"
    text = receipt_text(locale, name, Decimal(10), "kg rice", Decimal(20))
    assert name in text and strictest(text).segments <= 2
    assert ("২০" if locale == "bn" else "20") in text
    assert ("৭" if locale == "bn" else "7") in text


def test_start_and_confirm_record_the_code_then_the_receipt_in_the_beneficiarys_language(session):
    outlet = make_outlet(session, name_en="Karim Rice Dealer")
    citizen, _ = beneficiary(session, language=Language.ENGLISH)
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(10), None, RedemptionChannel.SMS
    )
    redemptions.confirm_code(session, outlet, started.redemption.id, started.code)
    messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.phone, m.template, m.locale) for m in messages] == [
        (citizen.mobile, "redemption_code", "en"),
        (citizen.mobile, "redemption_receipt", "en"),
    ]
    assert started.code in messages[0].text and "Karim Rice Dealer" in messages[0].text
    assert "20 kg rice" in messages[1].text
    assert started.code not in messages[1].text


def test_a_refused_start_sends_nothing(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session, balance="5")
    with pytest.raises(redemptions.Refused):
        redemptions.start(
            session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(10), None, RedemptionChannel.SMS
        )
    assert session.scalars(select(Message)).all() == []


def test_the_code_and_the_receipt_each_open_their_not_you_question_with_their_sms(session):
    from grievance.models import CitizenQuestion, QuestionKind

    outlet = make_outlet(session)
    citizen, _ = beneficiary(session, balance="5")
    with pytest.raises(redemptions.Refused):  # refused: no SMS, so no question either
        redemptions.start(
            session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(10), None, RedemptionChannel.SMS
        )
    assert session.scalars(select(CitizenQuestion)).all() == []
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(5), None, RedemptionChannel.SMS
    )
    redemptions.confirm_code(session, outlet, started.redemption.id, started.code)
    asked = session.execute(
        select(CitizenQuestion.kind, CitizenQuestion.subject_id, CitizenQuestion.locale).order_by(CitizenQuestion.id)
    ).all()
    assert asked == [
        (QuestionKind.REDEMPTION_CODE, started.redemption.id, "bn"),
        (QuestionKind.REDEMPTION_RECEIPT, started.redemption.id, "bn"),
    ]


def test_a_receipt_with_no_phone_to_send_to_still_closes_the_codes_question(session):
    """The number was removed between the start and the confirm: no receipt goes out, and a
    "2" from the old phone must not dispute a redemption already completed."""
    from foundation.clock import as_utc, utcnow
    from grievance.models import CitizenQuestion, QuestionKind

    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(10), None, RedemptionChannel.SMS
    )
    citizen.mobile = None
    session.commit()
    redemptions.confirm_code(session, outlet, started.redemption.id, started.code)
    session.expire_all()
    questions = session.execute(select(CitizenQuestion.kind, CitizenQuestion.open_until)).all()
    assert [(kind, as_utc(until) > utcnow()) for kind, until in questions] == [(QuestionKind.REDEMPTION_CODE, False)]


def test_a_start_for_a_beneficiary_with_no_phone_records_no_sms_and_no_question(session):
    """Found by NID, with no phone on the registry: the start stands (its code can be read
    out to them), and nothing is queued for a phone that does not exist."""
    from grievance.models import CitizenQuestion

    outlet = make_outlet(session)
    citizen, _ = beneficiary(session, mobile=None)
    session.commit()  # nothing begun: on PostgreSQL the start is one read and one statement
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.nid, Decimal(1), None, RedemptionChannel.API
    )
    assert started.created and started.code
    assert session.scalars(select(Message)).all() == [] and session.scalars(select(CitizenQuestion)).all() == []
