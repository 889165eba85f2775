"""The outlet's USSD menu and the beneficiary's answer to a redemption, through the Africa's
Talking endpoint (and bdapps for romanized Bangla), both ways (tests/fast_path.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from foundation.clock import utcnow
from grievance import questions
from grievance.models import Category, Channel, Grievance
from registry import redemptions
from registry.etokens import ledger_sum
from registry.models import ETokenWallet, Language, Redemption, RedemptionChannel, RedemptionStatus
from registry.services import dialler_by_mobile
from tests.factories import make_citizen
from tests.redemption_support import beneficiary, funded_wallet, make_outlet
from tests.ussd_app.conftest import Phone
from tests.ussd_app.gateways.test_bdapps import Platform, mo

CODE = "482913"


@pytest.fixture(autouse=True)
def known_code(monkeypatch):
    """The code the beneficiary's SMS carries, known to the test that plays the operator."""
    monkeypatch.setattr(redemptions, "new_code", lambda: CODE)


@pytest.fixture
def bdapps_platform(app):
    """What the app posts to the bdapps send URL (as tests/ussd_app/gateways/test_bdapps.py)."""
    platform = Platform()
    previous = app.config["BDAPPS_USSD_SEND_URL"]
    app.config.update(BDAPPS_USSD_SEND_URL=platform.url, BDAPPS_APP_ID="APP_123", BDAPPS_APP_PASSWORD="pw")
    yield platform
    app.config["BDAPPS_USSD_SEND_URL"] = previous
    platform.server.shutdown()


@pytest.fixture
def outlet(session):
    return make_outlet(session, name_en="Karim Rice Dealer", name_bn="করিম চাল ডিলার")


@pytest.fixture
def operator(client, outlet):
    return Phone(client, outlet.operator_mobile)


def english(session, citizen):
    citizen.language = Language.ENGLISH
    session.commit()


def _english_operator(session, outlet):
    """An operator who is also a registered citizen, speaking English."""
    citizen = make_citizen(session, mobile=outlet.operator_mobile, language=Language.ENGLISH)
    session.commit()
    return citizen


def _wallet(session, wallet_id):
    return session.scalar(
        select(ETokenWallet).where(ETokenWallet.id == wallet_id).execution_options(populate_existing=True)
    )


def test_the_operators_phone_opens_on_the_outlet_menu(operator):
    screen = operator.dial()
    assert screen.startswith("CON করিম চাল ডিলার\n"), screen
    assert "১ পণ্য দিন" in screen or "১ " in screen
    assert screen.count("\n") >= 4  # give goods, waiting, today, own menu


def test_a_non_operator_never_sees_the_outlet_menu(client, session, outlet, phone):
    screen = phone.dial()
    assert "করিম" not in screen and screen.startswith("CON সহায়তা"), screen
    stranger = Phone(client, "+8801999000222")
    assert "করিম" not in stranger.dial()


def test_operator_gives_goods_with_the_beneficiarys_code_and_sees_the_balance_left(session, outlet, operator):
    _english_operator(session, outlet)
    _, wallet = beneficiary(session, mobile="+8801712555001")
    assert operator.dial().startswith("CON Karim Rice Dealer\n1 Give goods")
    assert "mobile or NID" in operator.press("1")
    assert operator.press("01712555001").startswith("CON How many kg rice?")
    screen = operator.press("১০")  # Bengali digits are digits
    assert "Code sent" in screen and "6-digit" in screen, screen
    redemption = session.scalars(select(Redemption).where(Redemption.wallet_id == wallet.id)).one()
    assert (redemption.channel, redemption.status) == (RedemptionChannel.USSD, RedemptionStatus.AWAITING_CODE)
    done = operator.press(CODE)
    assert "Done: 10 kg rice given. E-token left: 20 kg rice." in done, done
    assert _wallet(session, wallet.id).balance == Decimal(20) == ledger_sum(session, wallet.id)


def test_operator_gives_goods_in_bangla(session, outlet, operator):
    beneficiary(session, mobile="+8801712555002")
    operator.dial()
    operator.press("1")
    assert operator.press("01712555002").startswith("CON কত কেজি চাল?")
    operator.press("৫")
    done = operator.press(CODE)
    assert "৫ কেজি চাল" in done and "২৫ কেজি চাল" in done, done


def test_operator_on_bdapps_gives_goods_in_romanized_bangla(client, app, session, outlet, bdapps_platform):
    _, wallet = beneficiary(session, mobile="+8801712555010")
    address = "tel:" + outlet.operator_mobile.removeprefix("+")
    for number, key in enumerate(("*123#", "1", "01712555010", "10", CODE), start=1):
        mo(client, app, "mo-init" if number == 1 else "mo-cont", key, f"r{number}", address=address)
    screens = [sent["message"] for sent in bdapps_platform.received]
    assert all(screen.isascii() for screen in screens), screens
    assert screens[0].startswith("Karim Rice Dealer\n1 "), screens[0]
    assert "10" in screens[-1] and "20" in screens[-1], screens[-1]
    assert _wallet(session, wallet.id).balance == Decimal(20)


def test_several_wallets_ask_which_programme_first(session, outlet, operator):
    _english_operator(session, outlet)
    citizen, _ = beneficiary(session, mobile="+8801712555003")
    funded_wallet(session, citizen, "VGF", balance="40")
    operator.dial()
    operator.press("1")
    screen = operator.press("01712555003")
    assert screen.startswith("CON Which programme?"), screen
    assert operator.press("2").startswith("CON How many kg rice?")
    operator.press("40")
    done = operator.press(CODE)
    assert "40 kg rice given" in done and "left: 0 kg rice" in done, done


@pytest.mark.parametrize(
    ("beneficiary_typed", "quantity", "expected"),
    [
        ("01799999999", None, "no e-token of a programme this outlet serves"),
        ("01712555004", "31", "more than the e-token balance"),
        ("01712555004", "0.0", "more than 0"),  # a bare 0 is the Back key
        ("01712555004", "2.3", "whole or half kilograms"),
    ],
)
def test_each_refusal_is_worded_for_the_operator(session, outlet, operator, beneficiary_typed, quantity, expected):
    _english_operator(session, outlet)
    beneficiary(session, mobile="+8801712555004")
    operator.dial()
    operator.press("1")
    screen = operator.press(beneficiary_typed)
    if quantity is not None:
        screen = operator.press(quantity)
    assert expected in screen, screen
    assert not screen.startswith("END")
    assert session.scalar(select(Redemption.id)) is None


def test_a_bad_beneficiary_is_asked_again(session, outlet, operator):
    _english_operator(session, outlet)
    operator.dial()
    operator.press("1")
    screen = operator.press("12")
    assert screen == "CON The beneficiary must be a mobile number or an NID.", screen
    beneficiary(session, mobile="+8801712555011")
    assert operator.press("01712555011").startswith("CON How many kg rice?")


def test_the_operator_cannot_redeem_their_own_wallet(session, outlet, operator):
    own = _english_operator(session, outlet)
    funded_wallet(session, own)
    operator.dial()
    operator.press("1")
    assert "cannot redeem their own e-token" in operator.press(outlet.operator_mobile.replace("+88", ""))


def test_a_second_start_on_a_waiting_wallet_is_refused(session, outlet, operator):
    _english_operator(session, outlet)
    citizen, _ = beneficiary(session, mobile="+8801712555005")
    other = make_outlet(session)
    redemptions.start(session, other, other.operator_mobile, citizen.mobile, Decimal(5), None, RedemptionChannel.API)
    operator.dial()
    operator.press("1")
    operator.press("01712555005")
    assert "already waiting for its code" in operator.press("5")


def test_three_wrong_codes_cancel_the_redemption(session, outlet, operator):
    _english_operator(session, outlet)
    _, wallet = beneficiary(session, mobile="+8801712555006")
    operator.dial()
    operator.press("1")
    operator.press("01712555006")
    operator.press("10")
    assert "Tries left: 2" in operator.press("000000")
    assert "Tries left: 1" in operator.press("111111")
    third = operator.press("222222")
    assert "Three wrong codes" in third and third.startswith("CON"), third
    redemption = session.scalars(select(Redemption).where(Redemption.wallet_id == wallet.id)).one()
    assert redemption.status is RedemptionStatus.CANCELLED
    assert _wallet(session, wallet.id).balance == Decimal(30)


def test_an_expired_code_is_refused(session, outlet, operator):
    _english_operator(session, outlet)
    _, wallet = beneficiary(session, mobile="+8801712555007")
    operator.dial()
    operator.press("1")
    operator.press("01712555007")
    operator.press("10")
    session.execute(update(Redemption).values(code_expires_at=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    assert "The code has expired" in operator.press(CODE)
    assert _wallet(session, wallet.id).balance == Decimal(30)


def test_the_pending_list_shows_masked_beneficiaries_and_takes_a_code(session, outlet, operator, client):
    _english_operator(session, outlet)
    _, first = beneficiary(session, mobile="+8801712555008")
    beneficiary(session, mobile="+8801712555009")
    for mobile, quantity in (("01712555008", "3"), ("01712555009", "4.5")):
        redemptions.start(
            session, outlet, outlet.operator_mobile, mobile, Decimal(quantity), None, RedemptionChannel.USSD
        )
    screen = operator.dial()
    listed = operator.press("2")
    assert listed.startswith("CON Waiting for a code:"), listed
    assert "1 **5008 3 kg rice" in listed and "2 **5009 4.5 kg rice" in listed, listed
    assert "01712555008" not in listed and "+880" not in listed
    assert operator.press("1") == "CON 3 kg rice: enter the beneficiary's 6-digit code:"
    assert "Done: 3 kg rice given. E-token left: 27 kg rice." in operator.press(CODE)
    assert _wallet(session, first.id).balance == Decimal(27)
    assert screen


def test_the_pending_list_when_nothing_waits(session, outlet, operator):
    _english_operator(session, outlet)
    operator.dial()
    assert operator.press("2").startswith("CON Nothing is waiting for a code.")


def test_todays_total_per_programme_and_unit(session, outlet, operator):
    _english_operator(session, outlet)
    for n, quantity in enumerate(("10", "2.5")):
        citizen, _ = beneficiary(session, mobile=f"+880171255502{n}")
        started = redemptions.start(
            session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(quantity), None, RedemptionChannel.API
        )
        redemptions.confirm_code(session, outlet, started.redemption.id, CODE)
    # Yesterday's (Dhaka) redemption is not today's.
    citizen, _ = beneficiary(session, mobile="+8801712555029")
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(7), None, RedemptionChannel.API
    )
    redemptions.confirm_code(session, outlet, started.redemption.id, CODE)
    session.execute(
        update(Redemption)
        .where(Redemption.id == started.redemption.id)
        .values(finished_at=utcnow() - dt.timedelta(days=1, hours=1))
    )
    session.commit()
    operator.dial()
    text = operator.read_on(operator.press("3"))
    assert "Given today:" in text and "12.5 kg rice, 2 times" in text, text


def test_an_operator_reaches_their_own_citizen_menu(session, outlet, operator):
    _english_operator(session, outlet)
    operator.dial()
    screen = operator.press("4")
    assert screen.startswith("CON Sahayata\n1 Am I eligible?"), screen
    assert operator.press("00").startswith("CON Karim Rice Dealer")


def test_an_operator_who_is_no_citizen_gets_the_unregistered_menu(operator):
    operator.dial()
    assert "এই নম্বর নিবন্ধিত নয়" in operator.press("৪")


# -- the beneficiary ----------------------------------------------------------------------
def _waiting(session, outlet, mobile: str, quantity: str = "30"):
    citizen, wallet = beneficiary(session, mobile=mobile)
    redemptions.start(session, outlet, outlet.operator_mobile, mobile, Decimal(quantity), None, RedemptionChannel.USSD)
    return citizen, wallet


def test_a_waiting_redemption_is_the_beneficiarys_first_screen_and_yes_completes_it(client, session, outlet):
    citizen, wallet = _waiting(session, outlet, "+8801712555040")
    phone = Phone(client, citizen.mobile)
    screen = phone.dial()
    assert screen.startswith("CON করিম চাল ডিলার আপনাকে ৩০ কেজি চাল দিতে চায়।") or "৩০ কেজি চাল" in screen, screen
    assert "করিম চাল ডিলার" in screen
    answered = phone.press("1")
    assert "৩০ কেজি চাল" in answered and answered.startswith("CON"), answered
    redemption = session.scalars(select(Redemption)).one()
    assert redemption.status is RedemptionStatus.COMPLETED
    assert _wallet(session, wallet.id).balance == 0 == ledger_sum(session, wallet.id)
    assert phone.press("0").startswith("CON সহায়তা")  # then the main menu


def test_the_beneficiary_says_not_me_and_nothing_is_given(client, session, outlet):
    citizen, wallet = _waiting(session, outlet, "+8801712555041")
    english(session, citizen)
    phone = Phone(client, citizen.mobile)
    screen = phone.dial()
    assert screen.startswith("CON Karim Rice Dealer wants to give you 30 kg rice.\n1 Yes, it is me\n2 No, not me")
    answered = phone.press("2")
    assert "nothing was given" in answered, answered
    refused = session.scalars(select(Redemption)).one()
    assert refused.status is RedemptionStatus.REFUSED
    # "Not me" is reported as an SMS "2" is: a sensitive complaint about this redemption,
    # for the programme ministry's redress officer, with its number on the screen.
    complaint = session.scalars(select(Grievance).where(Grievance.redemption_id == refused.id)).one()
    assert complaint.category is Category.ETOKEN_TAKEN and complaint.channel is Channel.USSD
    assert complaint.tracking_number in answered
    assert _wallet(session, wallet.id).balance == Decimal(30)
    assert phone.press("00").startswith("CON Sahayata")
    # Refused: the operator's code no longer works.
    with pytest.raises(redemptions.Refused):
        redemptions.confirm_code(session, outlet, session.scalar(select(Redemption.id)), CODE)


def test_not_me_after_the_operator_entered_the_code_files_the_dispute_and_says_it_was_handed_over(
    client, session, outlet
):
    """The waiting screen was open while the operator entered the code: "No, not me" can stop
    nothing any more, and says so; the complaint disputes the completed redemption."""
    citizen, wallet = _waiting(session, outlet, "+8801712555044")
    english(session, citizen)
    phone = Phone(client, citizen.mobile)
    assert "2 No, not me" in phone.dial()
    waiting = session.scalars(select(Redemption)).one()
    redemptions.confirm_code(session, outlet, waiting.id, CODE)
    answered = phone.press("2")
    assert "It was handed over before your answer came." in answered, answered
    assert "nothing was given" not in answered
    session.expire_all()
    assert session.get(Redemption, waiting.id).status is RedemptionStatus.COMPLETED
    complaint = session.scalars(select(Grievance).where(Grievance.redemption_id == waiting.id)).one()
    assert complaint.category is Category.ETOKEN_TAKEN and complaint.tracking_number in answered
    assert _wallet(session, wallet.id).balance == 0
    # The receipt's "not you? reply 2" still answers, with this same complaint.
    again = questions.answer(session, citizen.mobile, False, Channel.SMS)
    assert again.tracking_number == complaint.tracking_number
    assert session.scalars(select(Grievance).where(Grievance.redemption_id == waiting.id)).one() == complaint


def test_an_expired_waiting_redemption_is_not_shown(client, session, outlet):
    citizen, _ = _waiting(session, outlet, "+8801712555042")
    session.execute(update(Redemption).values(code_expires_at=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    assert Phone(client, citizen.mobile).dial().startswith("CON সহায়তা")


def test_a_caller_without_a_waiting_redemption_gets_the_main_menu(phone):
    assert phone.dial().startswith("CON সহায়তা")


def test_the_dial_look_up_finds_caller_outlet_and_waiting_redemption_at_once(app_context, session, outlet):
    citizen, _ = _waiting(session, outlet, "+8801712555043")
    dialler = dialler_by_mobile(session, citizen.mobile)
    assert dialler.caller.citizen_id == citizen.id and dialler.redemption_waiting and dialler.outlet_id is None
    operator = dialler_by_mobile(session, outlet.operator_mobile)
    assert operator.caller is None and operator.outlet_id == outlet.id and not operator.redemption_waiting
    nobody = dialler_by_mobile(session, "+8801999000333")
    assert (nobody.caller, nobody.outlet_id, nobody.redemption_waiting) == (None, None, False)
