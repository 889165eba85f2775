"""The SMS a redemption sends the beneficiary: the code when an outlet starts one, the receipt
once it is debited.

Listeners of the registry's redemption hooks (registry.events, subscribed by the composition
root): each records its message in the redemption's own transaction, so a redemption and
its SMS commit together, and queues the sending once it has committed (outbound_sms's
sweeper sends any whose queueing failed). Both go out whatever the phone said to STOP: the
code is what the beneficiary asked the outlet for, and the receipt is how they learn of a
redemption they did not make.

Each text says where and what and fits 2 SMS parts in every locale: an outlet's name is
shortened (never the code, the quantity or the warning) when a long one would not fit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from foundation.i18n import translate
from foundation.wording import wording
from grievance import questions
from grievance.models import QuestionKind
from outbound_sms.encoding import strictest
from outbound_sms.sending import NewMessage, create_messages, queue_send_batches
from registry.labels import unit_label
from registry.models import Citizen, ETokenWallet, Outlet, Redemption
from registry.redemption_labels import outlet_name

MAX_PARTS = 2
# "Not you? Reply 2" can be answered while the code is valid, and for 7 days after a receipt.
CODE_QUESTION_OPEN_FOR = dt.timedelta(minutes=10)
RECEIPT_QUESTION_OPEN_FOR = dt.timedelta(days=7)


def _fit(compose: Callable[[str], str], name: str) -> str:
    """``compose(name)`` with the name cut until the text fits 2 parts. A Latin name is cut
    with "..." (a "…" would turn a GSM-7 text into UCS-2 and halve its room)."""
    text = compose(name)
    ellipsis = "..." if name.isascii() else "…"
    cut = name
    while strictest(text).segments > MAX_PARTS and cut:
        cut = cut[: max(len(cut) - 4, 0)].rstrip()
        text = compose(cut + ellipsis if cut else "")
    return text


def code_text(locale: str, outlet: str, quantity: Decimal, unit: str, code: str) -> str:
    w = wording(locale)
    what = w.quantity(quantity, unit_label(locale, unit))
    return _fit(
        lambda name: translate(
            locale,
            "%(outlet)s asks to give you %(what)s. Code %(code)s, valid 10 min. Share it only if you are "
            "there now. Not you? Reply 2.",
            outlet=name,
            what=what,
            code=w.digits(code),
        ),
        outlet,
    )


def receipt_text(locale: str, outlet: str, quantity: Decimal, unit: str, balance: Decimal) -> str:
    w = wording(locale)
    label = unit_label(locale, unit)
    return _fit(
        lambda name: translate(
            locale,
            "You were given %(what)s at %(outlet)s. E-token left: %(balance)s. Not you? Reply 2 within 7 days.",
            outlet=name,
            what=w.quantity(quantity, label),
            balance=w.quantity(balance, label),
        ),
        outlet,
    )


@dataclass(frozen=True)
class _Row:
    """What a redemption's SMS says, read in one query: the redemption, its outlet's names,
    the beneficiary's phone and language, and the wallet's balance as the debit left it."""

    quantity: Decimal
    unit: str
    name_en: str
    name_bn: str
    balance: Decimal


_DRAFT = (
    select(
        Redemption.quantity,
        Redemption.unit,
        Outlet.name_en,
        Outlet.name_bn,
        ETokenWallet.balance,
        Citizen.mobile,
        Citizen.language,
    )
    .join(Outlet, Outlet.id == Redemption.outlet_id)
    .join(Citizen, Citizen.id == Redemption.citizen_id)
    .join(ETokenWallet, ETokenWallet.id == Redemption.wallet_id)
    .where(Redemption.id == bindparam("redemption_id"))
)


def _draft(
    session: Session,
    redemption_id: int,
    kind: str,
    compose: Callable[[str, _Row], str],
    question: QuestionKind,
    open_for: dt.timedelta,
):
    found = session.execute(_DRAFT, {"redemption_id": redemption_id}).first()
    if found is None or not found.mobile:
        return []
    quantity, unit, name_en, name_bn, balance, mobile, language = found
    locale = language.value
    text = compose(locale, _Row(quantity, unit, name_en, name_bn, Decimal(balance or 0)))
    # The SMS asks "not you? reply 2": the question opens with it, in the same transaction.
    # Each is sent once per redemption (the code when it starts, the receipt when it
    # completes), so no earlier asking of it can be open.
    questions.ask(session, mobile, question, redemption_id, locale, open_for, first_asking=True)
    return create_messages(
        session, [NewMessage(mobile, text, locale, f"redemption_{kind}", f"redemption:{redemption_id}:{kind}")]
    )


def _name(locale: str, row: _Row) -> str:
    return outlet_name(locale, row.name_en, row.name_bn)


def record_code_sms(session: Session, redemption_id: int, code: str) -> list[int]:
    """The code to the beneficiary's phone (the registry keeps only its HMAC)."""
    return _draft(
        session,
        redemption_id,
        "code",
        lambda locale, row: code_text(locale, _name(locale, row), row.quantity, row.unit, code),
        QuestionKind.REDEMPTION_CODE,
        CODE_QUESTION_OPEN_FOR,
    )


def record_receipt_sms(session: Session, redemption_id: int) -> list[int]:
    def compose(locale: str, row: _Row) -> str:
        return receipt_text(locale, _name(locale, row), row.quantity, row.unit, row.balance)

    # The code's question is settled: the debit happened, and a "2" now disputes the receipt.
    questions.close(session, QuestionKind.REDEMPTION_CODE, redemption_id)
    receipt = QuestionKind.REDEMPTION_RECEIPT
    return _draft(session, redemption_id, "receipt", compose, receipt, RECEIPT_QUESTION_OPEN_FOR)


def queue_redemption_sms(message_ids: Sequence[int]) -> None:
    queue_send_batches(message_ids)
