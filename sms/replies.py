"""Answering an SMS command, in the sender's language, within 2 segments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from foundation.jobs import redis_connection
from foundation.wording import Wording, wording
from grievance import questions
from grievance.citizen_answers import Confirmation, Information, Resolution, add_information, answer_resolution
from grievance.intake import Filing, file_grievance, status_by_tracking_number
from grievance.labels import filed_answer, no_such_complaint, status_sentence
from grievance.models import Category, Channel
from grievance.redemption_answers import RedemptionAnswer
from outbound_sms.encoding import strictest
from outbound_sms.opt_outs import record_opt_out, remove_opt_out
from registry.eligibility.decisions import LookupOutcome, ProgrammeDecisions, look_up_decisions
from registry.eligibility.engine import rulebook
from registry.eligibility.explain import (
    eligible_for,
    eligible_for_none,
    lookup_limit_reached,
    needs_verification_for,
    programme_name,
)
from registry.labels import (
    no_cash_programme,
    no_etokens,
    payment_advice,
    payment_date,
    payment_status_label,
    scheduled_payment_sentence,
    wallet_sentence,
)
from registry.schedule_labels import expected_payment_sentence
from registry.services import caller_by_mobile, payments_for, set_language, wallets_for
from sms import redemptions
from sms.commands import Command, Kind, parse

MAX_SEGMENTS = 2


@dataclass(frozen=True)
class Answer:
    text: str
    locale: str


class _Reply:
    def __init__(self, session: Session, phone: str, command: Command) -> None:
        self.session, self.phone, self.command = session, phone, command
        self.caller = caller_by_mobile(session, phone)
        if command.bangla:
            self.locale = "bn"
        else:
            self.locale = self.caller.language if self.caller else "en"

    @property
    def wording(self) -> Wording:
        """Text in the reply's locale (which a LANG command or a complaint's language may change)."""
        return wording(self.locale)

    def _(self, message: str, **variables: object) -> str:
        return self.wording._(message, **variables)

    def digits(self, text: str) -> str:
        return self.wording.digits(text)

    def name(self, code: str) -> str:
        return programme_name(code, self.locale, rulebook(self.session), short=True)

    def sentence(self, text: str) -> str:
        return self.wording.sentence(text)

    def more(self) -> str:
        return self._("More: dial %(code)s.", code=self.digits(current_app.config["SAHAYATA_USSD_CODE"]))

    def fits(self, text: str) -> bool:
        # A reply goes back through the gateway the command came in on, which this does not
        # know: it must fit as every provider bills it.
        return strictest(text).segments <= MAX_SEGMENTS

    def fit(self, parts: list[str]) -> str:
        """As many whole parts as fit in 2 segments; if some must go, say where to see them."""
        text = " ".join(parts)
        if self.fits(text):
            return text
        more = self.more()
        kept: list[str] = []
        for part in parts:
            if not self.fits(" ".join([*kept, part, more])):
                break
            kept.append(part)
        return " ".join([*kept, more])


def answer(session: Session, phone: str, text: str) -> Answer:
    """What to reply to ``text`` from ``phone`` (E.164). Writes (opt-out, complaint) commit."""
    command = parse(text)
    r = _Reply(session, phone, command)
    handler = {
        Kind.BALANCE: _balance,
        Kind.PAYMENT: _payment,
        Kind.STATUS: _status,
        Kind.COMPLAIN: _complain,
        Kind.STOP: _stop,
        Kind.START: _start,
        Kind.LANGUAGE: _language,
        Kind.ANSWER: _answer,
        Kind.INFO: _information,
        Kind.NID: _eligibility_by_nid,
        Kind.REDEEM: _redeem,
        Kind.CODE: _code,
    }.get(command.kind, _help)
    return Answer(handler(r), r.locale)


def _help(r: _Reply) -> str:
    return r._(
        "Send: BALANCE, PAYMENT, STATUS number, COMPLAIN and a few words, NID number DDMMYYYY, "
        "STOP, START, LANG bn or en."
    )


def _not_registered(r: _Reply) -> str:
    return r._("This number is not in the registry. To enrol, visit your Upazila Social Services Office.")


def _balance(r: _Reply) -> str:
    if r.caller is None:
        return _not_registered(r)
    wallets = wallets_for(r.session, r.caller.citizen_id)
    if not wallets:
        return no_etokens(r.locale)
    parts = [wallet_sentence(r.locale, r.name(w.programme_code), w.balance, w.unit, w.expires_on) for w in wallets]
    return r.fit(parts)


def _payment(r: _Reply) -> str:
    if r.caller is None:
        return _not_registered(r)
    programmes = payments_for(r.session, r.caller.citizen_id)
    if not programmes:
        return no_cash_programme(r.locale)
    answers: list[tuple[str, str]] = []  # per programme: without and with the expected month
    for p in programmes:
        line = r.name(p.programme_code) + ": "
        if p.last:
            status = payment_status_label(r.locale, p.last.status)
            amount, when = r.wording.money(p.last.amount_bdt), payment_date(r.locale, p.last)
            last = r._("Last")  # outside the f-string: Babel does not extract calls inside one
            line += f"{last} {amount}, {status}, {when}"
            advice = payment_advice(r.locale, p.last, rulebook(r.session).programmes.get(p.programme_code))
            if advice:  # why it failed and which office to see, in the words USSD uses
                line += r.wording.full_stop + " " + advice.rstrip(".।")
        if p.next:
            line += "; " + scheduled_payment_sentence(r.locale, p.next)
        lean = line if line.endswith((".", "।")) else r.sentence(line)
        rich = lean
        if p.expected and not p.next:  # the month the programme's schedule pays in next, without the amount
            rich = line + ("" if line.endswith(": ") else "; ") + expected_payment_sentence(r.locale, p.expected, False)
        answers.append((lean, rich))
    # Every expected month when the whole answer fits; else each where it still fits beside
    # the pointer to USSD, so an expected month never crowds a programme's last payment out.
    if r.fits(" ".join(rich for _, rich in answers)):
        return " ".join(rich for _, rich in answers)
    return r.fit([rich if r.fits(f"{rich} {r.more()}") else lean for lean, rich in answers])


def _status(r: _Reply) -> str:
    if not r.command.argument:
        return r._("Send STATUS and the complaint's number, e.g. STATUS 123456789.")
    complaint = status_by_tracking_number(r.session, r.command.argument)
    if complaint is None:
        return no_such_complaint(r.locale)
    return status_sentence(r.locale, complaint.tracking_number, complaint.status)


def _complain(r: _Reply) -> str:
    if not r.command.argument:
        return _help(r)
    filing = Filing(
        phone=r.phone,
        category=Category.OTHER,
        programme_code=None,
        text=r.command.argument,
        channel=Channel.SMS,
        locale=r.locale,
        citizen_id=r.caller.citizen_id if r.caller else None,
    )
    filed = file_grievance(r.session, filing)
    return filed_answer(r.locale, filed.tracking_number, filed.duplicate)


def _information(r: _Reply) -> str:
    """The answer to an office's question, added to the complaint's timeline."""
    if not r.command.argument:
        return r._("Send INFO, the complaint's number and your answer, e.g. INFO 123456789 I was paid in July.")
    number, _, text = r.command.argument.partition(" ")
    added = add_information(r.session, r.phone, number, text, channel=Channel.SMS)
    if added.outcome is Information.NOT_THEIRS:
        return no_such_complaint(r.locale)
    if added.outcome is Information.NOTHING_SAID:
        return _help(r)
    return r._("Thank you. Your answer is added to complaint %(number)s.", number=r.digits(added.tracking_number))


def _eligibility_by_nid(r: _Reply) -> str:
    """Another person's (or one's own) decisions per programme, for any phone, within the
    look-ups a phone has a day; nothing of the facts behind them."""
    nid, _, typed_date = r.command.argument.partition(" ")
    today = dt.date.today()  # the day USSD counts look-ups by: both channels share the count
    born = dt.date.fromisoformat(typed_date) if typed_date else None
    if born is None or born > today:
        return r._("Send NID, the NID number and the date of birth as DDMMYYYY, e.g. NID 1234567890 05031960.")
    lookup = look_up_decisions(r.session, redis_connection(), r.phone, nid, born, today)
    if lookup.outcome is LookupOutcome.LIMIT_REACHED:
        return lookup_limit_reached(r.locale)
    if lookup.decisions is None:
        return r._(
            "No registered person with this NID and date of birth. To enrol, visit the Upazila "
            "Social Services Office with the NID card."
        )
    return _decisions_text(r, lookup.decisions)


def _decisions_text(r: _Reply, decisions: ProgrammeDecisions) -> str:
    """Eligible programmes first, then those that need verification, then one sentence for the
    rest; names that do not fit in 2 segments give way to where to see them."""
    eligible = [r.name(code) for code in decisions.eligible]
    verify = [r.name(code) for code in decisions.needs_verification]

    def text(complete: bool) -> str:
        parts = []
        if eligible:
            parts.append(eligible_for(r.locale, eligible))
        if verify:
            parts.append(needs_verification_for(r.locale, verify))
        if not complete:
            parts.append(r.more())
        elif not decisions.eligible and not decisions.needs_verification:
            parts.append(eligible_for_none(r.locale))
        elif decisions.not_eligible:
            parts.append(r._("Not eligible for the others."))
        return " ".join(parts)

    answer = text(complete=True)
    while not r.fits(answer) and (eligible or verify):
        (verify or eligible).pop()
        answer = text(complete=False)
    return answer


def _operator_locale(r: _Reply) -> str:
    """An operator is answered in Bangla, or in English when they wrote English keywords
    (their phone need not be a citizen's, so no registered language decides)."""
    r.locale = "bn" if r.command.bangla else "en"
    return r.locale


def _redeem(r: _Reply) -> str:
    return redemptions.redeem(r.session, r.phone, r.command.argument, _operator_locale(r))


def _code(r: _Reply) -> str:
    return redemptions.enter_code(r.session, r.phone, r.command.argument, _operator_locale(r))


def _stop(r: _Reply) -> str:
    record_opt_out(r.session, r.phone)
    r.session.commit()
    return r._("You will get no more alerts. Send START to get them again.")


def _start(r: _Reply) -> str:
    remove_opt_out(r.session, r.phone)
    r.session.commit()
    return r._("Alerts are on again.")


def _language(r: _Reply) -> str:
    if r.caller is not None:
        set_language(r.session, r.caller.citizen_id, r.command.argument)
    r.locale = r.command.argument
    return r._("Language set.")


def _answer(r: _Reply) -> str:
    """ "1"/"2": yes or no to the question this phone was asked last that is still open;
    "1 123456789": to "is it resolved?" about that complaint, if it is the sender's."""
    said, _, number = r.command.argument.partition(" ")
    said_yes = said == "1"
    if number:
        answered = answer_resolution(r.session, r.phone, number, said_yes, channel=Channel.SMS)
    else:
        answered = questions.answer(r.session, r.phone, said_yes, Channel.SMS)
    wording = _ANSWER_WORDING.get(answered.outcome)
    if wording is None:  # nothing open to answer (or a number not the sender's resolved complaint)
        return _help(r)
    if r.caller is None and not r.command.bangla and answered.locale:
        r.locale = answered.locale  # "2" says nothing of language: answer in the question's
    return wording(r, answered)


def _number(r: _Reply, answered: questions.Answered) -> str:
    return r.digits(answered.tracking_number or "")


# What the reply says of each outcome of an answer (grievance.questions' handlers).
_ANSWER_WORDING: dict[object, Callable[[_Reply, questions.Answered], str]] = {
    Resolution.CLOSED: lambda r, a: r._("Thank you. Complaint %(number)s is closed.", number=_number(r, a)),
    Resolution.APPEALED: lambda r, a: r._(
        "Complaint %(number)s is reopened and goes to the appeal officer.", number=_number(r, a)
    ),
    Confirmation.RECEIVED: lambda r, a: r._("Thank you for telling us that the payment reached you."),
    Confirmation.DENIED: lambda r, a: r._(
        "Sorry. Complaint %(number)s is filed: payment not received. The office will tell you what it finds.",
        number=_number(r, a),
    ),
    RedemptionAnswer.REFUSED: lambda r, a: r._(
        "Stopped: nothing is handed over. Complaint %(number)s is filed: e-token taken without you.",
        number=_number(r, a),
    ),
    RedemptionAnswer.DISPUTED: lambda r, a: r._(
        "Complaint %(number)s is filed: e-token taken without you. The ministry will look into it.",
        number=_number(r, a),
    ),
}
