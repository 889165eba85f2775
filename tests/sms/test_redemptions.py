"""An outlet operator's REDEEM and CODE by SMS, in bn, romanized and English, refused in the
shared wording (registry.redemption_labels), every reply within 2 parts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from grievance.models import Grievance
from outbound_sms.encoding import strictest
from registry import redemptions
from registry.models import ETokenWallet, Redemption, RedemptionChannel, RedemptionStatus
from registry.redemption_labels import refusal
from registry.redemptions import Reason, Refused
from sms.redemptions import not_an_operator, split_redeem
from sms.replies import answer
from tests.factories import make_citizen
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)
from tests.redemption_support import balance_matches_ledger, beneficiary, funded_wallet, make_outlet

CODE = "482913"


@pytest.fixture(autouse=True)
def known_code(monkeypatch):
    """The code the beneficiary's phone gets (it reaches the operator by word of mouth)."""
    monkeypatch.setattr(redemptions, "new_code", lambda: CODE)


@pytest.fixture
def shop(session, no_dispatch):
    """An FFP dealer and a beneficiary with 30 kg of rice: (outlet, citizen, wallet)."""
    outlet = make_outlet(session, programmes=("FFP",))
    citizen, wallet = beneficiary(session)
    return outlet, citizen, wallet


def reply(session, phone: str, text: str) -> str:
    answered = answer(session, phone, text).text
    assert strictest(answered).segments <= 2, answered
    return answered


# (REDEEM, CODE, the reply's locale): Bengali script, romanized (answered in Bangla), English.
SPELLINGS = [
    ("বিতরণ {who} ১০", "কোড ৪৮২ ৯১৩", "bn"),
    ("bitoron {who} 10", "kod 482913", "bn"),
    ("REDEEM {who} 10", "code 482913", "en"),
]


@pytest.mark.parametrize(("redeem", "code", "locale"), SPELLINGS)
def test_redeem_then_code_debits_and_says_what_is_left(session, shop, redeem, code, locale):
    outlet, citizen, wallet = shop
    sent = reply(session, outlet.operator_mobile, redeem.format(who=citizen.mobile))
    if locale == "bn":
        assert sent.startswith("১০ কেজি চাল") and "কোড" in sent
    else:
        assert sent.startswith("Code sent to the beneficiary for 10 kg rice") and "CODE" in sent
    redemption = session.scalars(select(Redemption)).one()
    assert (redemption.channel, redemption.status) == (RedemptionChannel.SMS, RedemptionStatus.AWAITING_CODE)
    done = reply(session, outlet.operator_mobile, code)
    if locale == "bn":
        assert done == "সম্পন্ন: ১০ কেজি চাল বিতরণ হয়েছে। ই-টোকেন বাকি: ২০ কেজি চাল।"
    else:
        assert done == "Completed: 10 kg rice handed over. E-token left: 20 kg rice."
    session.expire_all()
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(20)
    assert balance_matches_ledger(session, wallet.id)
    # The same right code again (a lost reply) answers the same, and debits nothing more.
    assert reply(session, outlet.operator_mobile, code) == done
    session.expire_all()
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(20)


def test_by_nid_typed_in_groups_and_a_programme_named(session, shop):
    outlet, citizen, _ = shop
    nid = f"{citizen.nid[:5]} {citizen.nid[5:]}"
    assert reply(session, outlet.operator_mobile, f"REDEEM {nid} 2.5 ffp").startswith("Code sent")
    assert session.scalars(select(Redemption.quantity)).one() == Decimal("2.5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01712345678 30", ("01712345678", "30", None)),
        ("+880 1712 345678 30 FFP", ("+880 1712 345678", "30", "FFP")),
        ("01712345678 2,5", ("01712345678", "2.5", None)),
        ("01712345678", None),
        ("30", None),
        ("01712345678 FFP", None),
    ],
)
def test_split_redeem(text, expected):
    assert split_redeem(text) == expected


@pytest.mark.parametrize("locale", ["bn", "en"])
def test_a_phone_that_is_no_operators_is_refused_whoever_it_names(session, shop, locale):
    _, citizen, _ = shop
    stranger = make_citizen(session).mobile
    session.commit()
    word = "বিতরণ" if locale == "bn" else "REDEEM"
    for who in (citizen.mobile, "01799999999", "1234567890"):
        assert reply(session, stranger, f"{word} {who} 10") == not_an_operator(locale)
    assert reply(session, stranger, "কোড ৪৮২৯১৩" if locale == "bn" else "CODE 482913") == not_an_operator(locale)
    assert session.scalars(select(Redemption)).all() == []


def _refused(reason: Reason, **details) -> Refused:
    return Refused(reason, **details)


def test_every_start_refusal_is_the_shared_wording(session, shop):
    outlet, citizen, _ = shop
    op = outlet.operator_mobile
    other_programmes = make_outlet(session, programmes=("FFP", "VGF"))
    two_wallets, _ = beneficiary(session)
    funded_wallet(session, two_wallets, "VGF", balance="10")
    expired, expired_wallet = beneficiary(session)
    expired_wallet.expires_on = dt.date(2020, 1, 1)
    session.commit()
    cases = [
        (op, "REDEEM 12345 10", _refused(Reason.BAD_BENEFICIARY)),
        (op, "REDEEM 1999999999 10", _refused(Reason.NO_WALLET)),  # nobody with that NID
        (op, f"REDEEM {citizen.mobile} 10 VGF", _refused(Reason.PROGRAMME_NOT_SERVED)),
        (
            other_programmes.operator_mobile,
            f"REDEEM {two_wallets.mobile} 5",
            _refused(Reason.PROGRAMME_NEEDED, programmes=("FFP", "VGF")),
        ),
        (op, f"REDEEM {citizen.mobile} 0", _refused(Reason.BAD_QUANTITY)),
        (op, f"REDEEM {citizen.mobile} 2.3", _refused(Reason.BAD_QUANTITY, step=Decimal("0.5"))),
        (op, f"REDEEM {citizen.mobile} 31", _refused(Reason.OVER_BALANCE)),
        (op, f"REDEEM {expired.mobile} 5", _refused(Reason.WALLET_EXPIRED)),
    ]
    for phone, text, refused in cases:
        assert reply(session, phone, text) == refusal("en", refused), text
        bangla = text.replace("REDEEM", "বিতরণ")
        assert reply(session, phone, bangla) == refusal("bn", refused), bangla
    assert session.scalars(select(Redemption)).all() == []


def test_an_operator_cannot_redeem_their_own_e_token(session, no_dispatch):
    citizen, _ = beneficiary(session)
    outlet = make_outlet(session, programmes=("FFP",), operator_mobile=citizen.mobile)
    assert reply(session, outlet.operator_mobile, f"REDEEM {citizen.nid} 5") == refusal(
        "en", Refused(Reason.OWN_WALLET)
    )


def test_a_second_start_while_one_awaits_its_code_is_refused(session, shop):
    outlet, citizen, _ = shop
    reply(session, outlet.operator_mobile, f"REDEEM {citizen.mobile} 5")
    assert reply(session, outlet.operator_mobile, f"বিতরণ {citizen.mobile} ৫") == refusal(
        "bn", Refused(Reason.PENDING_EXISTS)
    )


def test_wrong_codes_then_cancelled_in_the_shared_wording(session, shop):
    outlet, citizen, wallet = shop
    op = outlet.operator_mobile
    reply(session, op, f"REDEEM {citizen.mobile} 5")
    assert reply(session, op, "CODE 111111") == refusal("en", Refused(Reason.WRONG_CODE, tries_left=2))
    assert reply(session, op, "কোড ১১১১১১") == refusal("bn", Refused(Reason.WRONG_CODE, tries_left=1))
    assert reply(session, op, "CODE 111111") == refusal("en", Refused(Reason.CANCELLED))
    # Cancelled: even the right code now says so.
    assert reply(session, op, f"CODE {CODE}") == refusal("en", Refused(Reason.CANCELLED))
    session.expire_all()
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(30)


def test_code_refusals_nothing_started_expired_and_finished(session, shop):
    outlet, citizen, _ = shop
    op = outlet.operator_mobile
    assert reply(session, op, f"CODE {CODE}") == refusal("en", Refused(Reason.NOT_FOUND))
    assert reply(session, op, "CODE 12345").startswith("Send CODE and the 6 digits")  # counted as no try
    reply(session, op, f"REDEEM {citizen.mobile} 5")
    session.execute(update(Redemption).values(code_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    session.commit()  # its ten minutes have passed
    assert reply(session, op, f"CODE {CODE}") == refusal("en", Refused(Reason.EXPIRED))
    reply(session, op, f"REDEEM {citizen.mobile} 5")
    assert answer(session, citizen.mobile, "2").text  # the beneficiary refuses: "not me"
    assert reply(session, op, f"কোড {CODE}") == refusal("bn", Refused(Reason.FINISHED))


def test_two_awaiting_codes_may_be_typed_in_either_order(session, shop, monkeypatch):
    outlet, first, _ = shop
    second, _ = beneficiary(session)
    op = outlet.operator_mobile
    reply(session, op, f"REDEEM {first.mobile} 5")
    monkeypatch.setattr(redemptions, "new_code", lambda: "777777")
    reply(session, op, f"REDEEM {second.mobile} 10")
    assert reply(session, op, f"CODE {CODE}").startswith("Completed: 5 kg rice")  # the first one's code
    assert reply(session, op, "CODE 777777").startswith("Completed: 10 kg rice")


def test_a_code_of_neither_is_a_wrong_try_for_each(session, shop, monkeypatch):
    """Two open redemptions must not give more guesses than one."""
    outlet, first, _ = shop
    second, _ = beneficiary(session)
    op = outlet.operator_mobile
    reply(session, op, f"REDEEM {first.mobile} 5")
    monkeypatch.setattr(redemptions, "new_code", lambda: "777777")
    reply(session, op, f"REDEEM {second.mobile} 10")
    for _ in range(3):
        reply(session, op, "CODE 000000")
    session.expire_all()
    assert [r.status for r in session.scalars(select(Redemption))] == [RedemptionStatus.CANCELLED] * 2


def test_the_beneficiarys_two_to_an_sms_redemption_files_the_complaint(session, shop):
    outlet, citizen, _ = shop
    reply(session, outlet.operator_mobile, f"REDEEM {citizen.mobile} 5")
    told = reply(session, citizen.mobile, "২")
    grievance = session.scalars(select(Grievance)).one()
    assert grievance.redemption_id is not None
    digits = grievance.tracking_number.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert digits in told and "বিতরণ হয়নি" in told
