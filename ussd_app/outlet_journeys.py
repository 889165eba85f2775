"""The outlet's USSD menu, and the beneficiary's answer to a redemption awaiting its code.

An outlet's operator dials the same code from the phone the outlet was imported with; the
session's first look-up (registry.services.dialler_by_mobile) says so, and the main menu is
then the outlet's: give goods, what awaits a code, today's total, and the caller's own
citizen menu (the one every phone gets, registered or not), so an operator who is also a
beneficiary, or wants to complain, keeps every citizen journey one key away. "00" returns to
the outlet menu, the operator's home. A phone that runs several outlets gets the one imported
first.

A registered caller with a redemption awaiting its code hears of it before anything else:
where and what, 1 it is me (completes it, as the code would), 2 not me (refuses it); then the
main menu is one key away.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from foundation.masking import mask_account_number
from grievance.labels import filed_answer
from grievance.models import Channel
from grievance.redemption_answers import RedemptionAnswer, not_me
from registry.eligibility.explain import programme_name
from registry.labels import unit_label
from registry.models import Citizen, Outlet, RedemptionChannel
from registry.redemption_labels import beneficiary_refusal, outlet_name, refusal
from registry.redemptions import (
    Reason,
    Refused,
    confirm_code,
    decide_as_beneficiary,
    parse_quantity,
    pending_for_citizen,
    pending_for_outlet,
    start,
    today_totals,
    wallet_to_redeem,
)
from registry.services import Dialler
from ussd_app.engine import HOME_SCREEN, Context
from ussd_app.screens import Go, Info, Input, Invalid, Menu, Option, Screen
from ussd_app.state import Frame

OUTLET = "outlet"  # the session's kept outlet id: present only in an operator's session
WAITING_SCREEN = "redemption_waiting"
# An outlet's name as imported may be long; a screen shows this much of it (a Bangla name of
# this length leaves most of an 80-unit page to what the screen says).
NAME_ROOM = 28


def opening(ctx: Context, dialler: Dialler) -> None:
    """The engine's first-hop hook: mark an operator's session, and put a redemption awaiting
    the caller's answer in front of the main menu (and of a resume offer: it cannot wait)."""
    if dialler.outlet_id is not None:
        ctx.state.kept[OUTLET] = dialler.outlet_id
    if not dialler.redemption_waiting or ctx.state.citizen_id is None:
        return
    waiting = pending_for_citizen(ctx.db, ctx.state.citizen_id)
    if not waiting:
        return  # its code expired and no sweep has marked it yet
    redemption = waiting[0]
    outlet = ctx.db.get(Outlet, redemption.outlet_id)
    assert outlet is not None
    params = {
        "redemption": redemption.id,
        "outlet_en": outlet.name_en,
        "outlet_bn": outlet.name_bn,
        "quantity": str(redemption.quantity),
        "unit": redemption.unit,
    }
    ctx.state.stack = [Frame(HOME_SCREEN), Frame(WAITING_SCREEN, params)]


def is_operator(ctx: Context) -> bool:
    return OUTLET in ctx.state.kept


# -- helpers ------------------------------------------------------------------------------
def _short(name: str) -> str:
    if len(name) <= NAME_ROOM:
        return name
    ellipsis = "..." if name.isascii() else "…"  # "…" would make an ASCII screen UCS-2
    return name[: NAME_ROOM - len(ellipsis)].rstrip() + ellipsis


def _name(ctx: Context, name_en: str, name_bn: str) -> str:
    return _short(outlet_name(ctx.locale, name_en, name_bn))


def _what(ctx: Context, quantity: Decimal | str, unit: str) -> str:
    return ctx.wording.quantity(Decimal(quantity), unit_label(ctx.locale, unit))


def _outlet(ctx: Context) -> Outlet:
    """The operator's outlet on the session that writes (the service commits on it)."""
    outlet = ctx.transactional_db.get(Outlet, ctx.state.kept[OUTLET])
    if outlet is None:
        raise LookupError("the operator's outlet is no longer in the registry")
    return outlet


def _refused(refused: Refused, replace: bool = False) -> Go:
    return Go(
        "outlet_refused",
        {
            "reason": refused.reason.value,
            "programmes": list(refused.programmes),
            "tries_left": refused.tries_left,
            "step": str(refused.step),
        },
        replace=replace,
    )


def refused_text(ctx: Context) -> str:
    params = ctx.params
    refused = Refused(
        Reason(params["reason"]),
        programmes=tuple(params["programmes"]),
        tries_left=params["tries_left"],
        step=Decimal(params["step"]),
    )
    return refusal(ctx.locale, refused)


# -- the outlet menu ----------------------------------------------------------------------
def outlet_title(ctx: Context) -> str:
    def load() -> list[str]:
        outlet = ctx.db.get(Outlet, ctx.state.kept[OUTLET])
        return [outlet.name_en, outlet.name_bn] if outlet else ["", ""]

    name_en, name_bn = ctx.kept("outlet_names", load)
    return _name(ctx, name_en, name_bn)


def outlet_options(ctx: Context) -> list[Option]:
    return [
        Option(ctx._("Give goods"), Go("outlet_beneficiary")),
        Option(ctx._("Waiting for a code"), Go("outlet_pending")),
        Option(ctx._("Today's total"), Go("outlet_today")),
        Option(ctx._("My own menu"), Go("own_menu")),
    ]


# -- giving goods -------------------------------------------------------------------------
def accept_beneficiary(ctx: Context, text: str):
    try:
        wallet = wallet_to_redeem(ctx.transactional_db, _outlet(ctx), ctx.state.phone, text, None)
    except Refused as refused:
        if refused.reason is Reason.PROGRAMME_NEEDED:
            return Go("outlet_programme", {"beneficiary": text, "programmes": list(refused.programmes)})
        if refused.reason is Reason.BAD_BENEFICIARY:
            return Invalid(refusal(ctx.locale, refused))
        return _refused(refused)
    return Go("outlet_quantity", {"beneficiary": text, "programme": wallet.programme_code, "unit": wallet.unit})


def _choose_programme(code: str):
    def choose(ctx: Context):
        beneficiary = ctx.params["beneficiary"]
        try:
            wallet = wallet_to_redeem(ctx.transactional_db, _outlet(ctx), ctx.state.phone, beneficiary, code)
        except Refused as refused:
            return _refused(refused)
        return Go("outlet_quantity", {"beneficiary": beneficiary, "programme": code, "unit": wallet.unit})

    return choose


def programme_options(ctx: Context) -> list[Option]:
    return [
        Option(programme_name(code, ctx.locale, ctx.rulebook, short=True), _choose_programme(code))
        for code in ctx.params["programmes"]
    ]


def quantity_prompt(ctx: Context) -> str:
    return ctx._("How many %(unit)s?", unit=unit_label(ctx.locale, ctx.params["unit"]))


def accept_quantity(ctx: Context, text: str):
    params = ctx.params
    try:
        quantity = parse_quantity(text)
        started = start(
            ctx.transactional_db,
            _outlet(ctx),
            ctx.state.phone,
            params["beneficiary"],
            quantity,
            params["programme"],
            RedemptionChannel.USSD,
        )
    except Refused as refused:
        if refused.reason is Reason.BAD_QUANTITY:
            return Invalid(refusal(ctx.locale, refused))
        return _refused(refused)
    redemption = started.redemption
    return Go(
        "outlet_code",
        {"redemption": redemption.id, "quantity": str(redemption.quantity), "unit": redemption.unit, "sent": True},
    )


def code_prompt(ctx: Context) -> str:
    if ctx.params.get("sent"):
        return ctx._("Code sent to the beneficiary's phone. Enter the 6-digit code:")
    what = _what(ctx, ctx.params["quantity"], ctx.params["unit"])
    return ctx._("%(what)s: enter the beneficiary's 6-digit code:", what=what)


def accept_code(ctx: Context, text: str):
    params = ctx.params
    try:
        confirmed = confirm_code(ctx.transactional_db, _outlet(ctx), params["redemption"], text)
    except Refused as refused:
        if refused.reason is Reason.WRONG_CODE:
            return Invalid(refusal(ctx.locale, refused))
        return _refused(refused, replace=True)  # the code screen is over: back leads before it
    done = {"quantity": params["quantity"], "unit": params["unit"], "balance": str(confirmed.balance_left)}
    return Go("outlet_done", done, replace=True)


def done_text(ctx: Context) -> str:
    params = ctx.params
    return ctx._(
        "Done: %(what)s given. E-token left: %(balance)s.",
        what=_what(ctx, params["quantity"], params["unit"]),
        balance=_what(ctx, params["balance"], params["unit"]),
    )


# -- what awaits a code -------------------------------------------------------------------
def _pending(ctx: Context) -> list[list[Any]]:
    """[id, masked beneficiary, quantity, unit] per redemption awaiting its code, as first
    listed: kept in the frame, so the number pressed means what the caller was shown even if
    another redemption starts meanwhile."""
    listed = ctx.params.get("listed")
    if listed is None:
        session = ctx.db
        outlet = session.get(Outlet, ctx.state.kept[OUTLET])
        waiting = pending_for_outlet(session, outlet) if outlet else []
        ids = {r.citizen_id for r in waiting}
        found = session.execute(select(Citizen.id, Citizen.mobile).where(Citizen.id.in_(ids))) if ids else None
        mobiles = dict(found.all()) if found is not None else {}
        # The last four digits: enough for the operator to tell who is who, and no more.
        listed = [[r.id, mask_account_number(mobiles.get(r.citizen_id)), str(r.quantity), r.unit] for r in waiting]
        ctx.params["listed"] = listed
    return listed


def pending_title(ctx: Context) -> str:
    return ctx._("Waiting for a code:") if _pending(ctx) else ctx._("Nothing is waiting for a code.")


def pending_options(ctx: Context) -> list[Option]:
    return [
        Option(
            f"{ctx.digits(masked or '')} {_what(ctx, quantity, unit)}".strip(),
            Go("outlet_code", {"redemption": rid, "quantity": quantity, "unit": unit}),
        )
        for rid, masked, quantity, unit in _pending(ctx)
    ]


# -- today --------------------------------------------------------------------------------
def today_text(ctx: Context) -> str:
    outlet = ctx.db.get(Outlet, ctx.state.kept[OUTLET])
    totals = today_totals(ctx.db, outlet) if outlet else []
    if not totals:
        return ctx._("Nothing given today.")
    lines = [
        ctx._(
            "%(programme)s: %(what)s, %(count)s times.",
            programme=programme_name(total.programme_code, ctx.locale, ctx.rulebook, short=True),
            what=_what(ctx, total.quantity, total.unit),
            count=ctx.number(total.redemptions),
        )
        for total in totals
    ]
    return ctx._("Given today:") + " " + " ".join(lines)


# -- the beneficiary's answer -------------------------------------------------------------
def waiting_title(ctx: Context) -> str:
    params = ctx.params
    return ctx._(
        "%(outlet)s wants to give you %(what)s.",
        outlet=_name(ctx, params["outlet_en"], params["outlet_bn"]),
        what=_what(ctx, params["quantity"], params["unit"]),
    )


def _answer(accept: bool):
    def answer(ctx: Context):
        params = ctx.params
        if not accept:
            # "Not me" is a report, not only a refusal: the same complaint as an SMS "2".
            filed = not_me(ctx.transactional_db, ctx.state.phone, params["redemption"], Channel.USSD, ctx.locale)
            outcome = (
                # The operator entered the code while this screen was open: the complaint stands.
                ctx._("It was handed over before your answer came.")
                if filed.outcome is RedemptionAnswer.DISPUTED
                else ctx._("Refused: nothing was given, your e-token is unchanged.")
            )
            text = " ".join([outcome, filed_answer(ctx.locale, filed.tracking_number or "", duplicate=False)])
            return Go("redemption_answered", {"text": text}, replace=True)
        try:
            confirmed = decide_as_beneficiary(
                ctx.transactional_db, ctx.state.citizen_id, params["redemption"], accept=accept
            )
        except Refused as refused:
            return Go("redemption_answered", {"text": beneficiary_refusal(ctx.locale, refused)}, replace=True)
        what = _what(ctx, params["quantity"], params["unit"])
        text = ctx._(
            "Done: you were given %(what)s. E-token left: %(balance)s.",
            what=what,
            balance=_what(ctx, confirmed.balance_left, confirmed.unit),
        )
        return Go("redemption_answered", {"text": text}, replace=True)

    return answer


def waiting_options(ctx: Context) -> list[Option]:
    return [Option(ctx._("Yes, it is me"), _answer(True)), Option(ctx._("No, not me"), _answer(False))]


OUTLET_JOURNEYS: dict[str, Screen] = {
    "outlet_beneficiary": Input(lambda ctx: ctx._("Beneficiary's mobile or NID:"), accept_beneficiary),
    "outlet_programme": Menu(lambda ctx: ctx._("Which programme?"), programme_options),
    "outlet_quantity": Input(quantity_prompt, accept_quantity),
    "outlet_code": Input(code_prompt, accept_code),
    "outlet_done": Info(done_text),
    "outlet_refused": Info(refused_text),
    "outlet_pending": Menu(pending_title, pending_options),
    "outlet_today": Info(today_text),
    WAITING_SCREEN: Menu(waiting_title, waiting_options, navigation=False),
    # The answer was already taken: the text was made then, in the caller's language.
    "redemption_answered": Info(lambda ctx: ctx.params["text"]),
}
