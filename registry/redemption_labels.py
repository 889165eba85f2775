"""How a refused redemption is told to the operator, in their language: one wording for the
outlet's USSD menu, its SMS commands and the outlet API."""

from __future__ import annotations

from decimal import Decimal

from foundation.i18n import translate
from foundation.wording import wording
from registry.redemptions import Reason, Refused


def refusal(locale: str, refused: Refused) -> str:
    w = wording(locale)
    reason = refused.reason
    if reason is Reason.PROGRAMME_NEEDED:
        return translate(
            locale,
            "This person has e-tokens of several programmes here: say which (%(programmes)s).",
            programmes=", ".join(refused.programmes),
        )
    if reason is Reason.WRONG_CODE:
        return translate(locale, "Wrong code. Tries left: %(tries)s.", tries=w.number(refused.tries_left or 0))
    if reason is Reason.BAD_QUANTITY and refused.step == Decimal("0.5"):
        return translate(locale, "The quantity must be more than 0, in whole or half kilograms.")
    return MESSAGES[reason](locale)


MESSAGES = {
    Reason.BAD_BENEFICIARY: lambda locale: translate(locale, "The beneficiary must be a mobile number or an NID."),
    Reason.NO_WALLET: lambda locale: translate(locale, "This person has no e-token of a programme this outlet serves."),
    Reason.PROGRAMME_NOT_SERVED: lambda locale: translate(locale, "This outlet does not serve that programme."),
    Reason.PROGRAMME_NEEDED: lambda locale: translate(locale, "Say which programme."),
    Reason.BAD_QUANTITY: lambda locale: translate(locale, "The quantity must be whole and more than 0."),
    Reason.OVER_BALANCE: lambda locale: translate(locale, "The quantity is more than the e-token balance."),
    Reason.WALLET_EXPIRED: lambda locale: translate(locale, "This e-token has expired."),
    Reason.OWN_WALLET: lambda locale: translate(locale, "An operator cannot redeem their own e-token."),
    Reason.PENDING_EXISTS: lambda locale: translate(
        locale, "A redemption for this e-token is already waiting for its code."
    ),
    Reason.BAD_REQUEST_ID: lambda locale: translate(
        locale, "request_id must be up to 64 letters, digits, '.', '_', ':' or '-'."
    ),
    Reason.REQUEST_ID_REUSED: lambda locale: translate(
        locale, "This request_id was already used for another person, programme or quantity."
    ),
    Reason.NOT_FOUND: lambda locale: translate(locale, "No such redemption at this outlet."),
    Reason.WRONG_CODE: lambda locale: translate(locale, "Wrong code."),
    Reason.PAUSED: lambda locale: translate(
        locale, "Too many wrong codes lately: new redemptions are paused here for now. Try again later."
    ),
    Reason.CANCELLED: lambda locale: translate(
        locale, "Three wrong codes: this redemption is cancelled. Start a new one."
    ),
    Reason.EXPIRED: lambda locale: translate(locale, "The code has expired (10 minutes). Start a new redemption."),
    Reason.FINISHED: lambda locale: translate(locale, "This redemption is already finished."),
}


def outlet_name(locale: str, name_en: str, name_bn: str) -> str:
    """Bangla script shows the Bangla name; English and romanized Bangla the English one."""
    return name_bn if locale == "bn" else name_en


def beneficiary_refusal(locale: str, refused: Refused) -> str:
    """What the beneficiary is told when their own answer came too late or could not be taken:
    the operator's wording ("Start a new redemption") is not theirs to act on."""
    if refused.reason is Reason.OVER_BALANCE:
        return translate(locale, "Your e-token balance is lower than this: nothing was given.")
    return translate(locale, "This redemption is no longer waiting for your answer.")
