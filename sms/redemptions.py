"""An outlet operator's SMS commands: ``REDEEM <mobile or NID> <quantity> [programme]`` starts
a redemption (the beneficiary's phone gets the code), ``CODE <6 digits>`` finishes it.

Only a phone registered as an outlet's operator (``Outlet.operator_mobile``) may use them;
any other phone is told so before anything is looked up, so a stranger learns nothing of
who holds e-tokens. The rules are registry.redemptions'; the refusals are worded by
registry.redemption_labels, as on the outlet's USSD menu and its app.

An SMS carries no redemption id, so CODE finds its redemption among those this phone
started that await their code: the one whose code it is (an operator serving two people at
once may type their codes in either order). A code that is none of theirs is a wrong try
for each of them, so that several open redemptions never give more guesses than one
(three wrong tries cancel). With none awaiting, CODE goes to the latest one this phone
started: the same right code again answers as the first time did (a reply lost on the
way), and an expired or cancelled one says so.

A phone that operates several outlets starts at the first (by code) that serves the
beneficiary's e-token.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.clock import as_utc, utcnow
from foundation.i18n import translate
from foundation.wording import wording
from registry import redemptions
from registry.labels import unit_label
from registry.models import Outlet, Redemption, RedemptionChannel
from registry.redemption_labels import refusal
from registry.redemptions import Reason, Refused

# Refusals that say this outlet cannot serve the person: another outlet of the same phone may.
_TRY_NEXT_OUTLET = (Reason.NO_WALLET, Reason.PROGRAMME_NOT_SERVED)
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_CODE = re.compile(r"[0-9]{6}")


def operated_by(session: Session, phone: str) -> list[Outlet]:
    """The outlets whose registered operator phone is ``phone`` (E.164), by code."""
    return list(session.scalars(select(Outlet).where(Outlet.operator_mobile == phone).order_by(Outlet.code)))


def not_an_operator(locale: str) -> str:
    return translate(locale, "This phone is not an outlet's registered operator phone.")


def redeem_usage(locale: str) -> str:
    return translate(
        locale,
        "Send REDEEM, the beneficiary's mobile or NID and the quantity, e.g. REDEEM 01712345678 30. "
        "Add the programme if they have several.",
    )


def code_usage(locale: str) -> str:
    return translate(locale, "Send CODE and the 6 digits of the beneficiary's code, e.g. CODE 482913.")


def split_redeem(argument: str) -> tuple[str, str, str | None] | None:
    """(beneficiary, quantity, programme or None) from "01712345678 30 FFP"; the beneficiary
    may be typed in groups ("19876 54321 30"). None when there is no quantity after it."""
    words = argument.split()
    programme = None
    if words and not _NUMBER.fullmatch(words[-1]):
        programme = words.pop()
    if len(words) < 2 or not _NUMBER.fullmatch(words[-1]):
        return None
    quantity = words.pop().replace(",", ".")
    return " ".join(words), quantity, programme


def redeem(session: Session, phone: str, argument: str, locale: str) -> str:
    outlets = operated_by(session, phone)
    if not outlets:
        return not_an_operator(locale)
    parts = split_redeem(argument)
    if parts is None:
        return redeem_usage(locale)
    beneficiary, typed_quantity, programme = parts
    try:
        quantity = redemptions.parse_quantity(typed_quantity)
    except Refused as refused:
        return refusal(locale, refused)
    last: Refused | None = None
    for outlet in outlets:
        try:
            started = redemptions.start(session, outlet, phone, beneficiary, quantity, programme, RedemptionChannel.SMS)
        except Refused as refused:
            last = refused
            if refused.reason in _TRY_NEXT_OUTLET:
                continue
            return refusal(locale, refused)
        r = started.redemption
        return translate(
            locale,
            "Code sent to the beneficiary for %(what)s. When they tell you the code, send CODE and its 6 digits.",
            what=_quantity(locale, r.quantity, r.unit),
        )
    assert last is not None
    return refusal(locale, last)


def enter_code(session: Session, phone: str, argument: str, locale: str) -> str:
    outlets = {outlet.id: outlet for outlet in operated_by(session, phone)}
    if not outlets:
        return not_an_operator(locale)
    if not _CODE.fullmatch(argument):
        return code_usage(locale)
    awaiting = _awaiting(session, phone, outlets)
    if awaiting:
        mine = [r for r in awaiting if redemptions.code_matches(r, argument)]
        targets = mine[:1] or awaiting  # none matches: a wrong try for each
    else:
        latest = _latest(session, phone, outlets)
        if latest is None:
            return refusal(locale, Refused(Reason.NOT_FOUND))
        targets = [latest]
    answers: list[str] = []
    for redemption in targets:
        quantity, unit = redemption.quantity, redemption.unit
        try:
            confirmed = redemptions.confirm_code(session, outlets[redemption.outlet_id], redemption.id, argument)
        except Refused as refused:
            answers.append(refusal(locale, refused))
            continue
        return translate(
            locale,
            "Completed: %(what)s handed over. E-token left: %(balance)s.",
            what=_quantity(locale, quantity, unit),
            balance=_quantity(locale, confirmed.balance_left, confirmed.unit),
        )
    return answers[0]  # the latest one's: each was told the same wrong try


def _quantity(locale: str, quantity: Decimal, unit: str) -> str:
    return wording(locale).quantity(quantity, unit_label(locale, unit))


def _awaiting(session: Session, phone: str, outlets: dict[int, Outlet]) -> list[Redemption]:
    """The redemptions this phone started at its outlets that await their code, latest first."""
    now = utcnow()
    found = [
        r
        for outlet in outlets.values()
        for r in redemptions.pending_for_outlet(session, outlet, now)
        if r.operator_mobile == phone
    ]
    return sorted(found, key=lambda r: (as_utc(r.started_at), r.id), reverse=True)


def _latest(session: Session, phone: str, outlets: dict[int, Outlet]) -> Redemption | None:
    return session.scalars(
        select(Redemption)
        .where(Redemption.operator_mobile == phone, Redemption.outlet_id.in_(list(outlets)))
        .order_by(Redemption.started_at.desc(), Redemption.id.desc())
        .limit(1)
    ).first()
