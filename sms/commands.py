"""SMS commands in Bangla and English: what a text message asks for.

Case does not matter, Bengali digits are digits, and anything not understood gets help.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sahayata.i18n import to_ascii_digits


class Kind(enum.StrEnum):
    HELP = "help"
    BALANCE = "balance"
    PAYMENT = "payment"
    STATUS = "status"
    COMPLAIN = "complain"
    STOP = "stop"
    START = "start"
    LANGUAGE = "language"
    ANSWER = "answer"  # "1" or "2" after "was your complaint resolved?"
    INFO = "info"  # "INFO 123456789 the answer": the information an office asked for


@dataclass(frozen=True)
class Command:
    kind: Kind
    argument: str = ""
    bangla: bool = False  # written in Bangla: answer in Bangla if we do not know the sender


KEYWORDS: dict[str, Kind] = {
    "help": Kind.HELP,
    "h": Kind.HELP,
    "?": Kind.HELP,
    "সাহায্য": Kind.HELP,
    "balance": Kind.BALANCE,
    "bal": Kind.BALANCE,
    "token": Kind.BALANCE,
    "ব্যালেন্স": Kind.BALANCE,
    "টোকেন": Kind.BALANCE,
    "payment": Kind.PAYMENT,
    "pay": Kind.PAYMENT,
    "ভাতা": Kind.PAYMENT,
    "পেমেন্ট": Kind.PAYMENT,
    "status": Kind.STATUS,
    "অবস্থা": Kind.STATUS,
    "info": Kind.INFO,
    "তথ্য": Kind.INFO,
    "complain": Kind.COMPLAIN,
    "complaint": Kind.COMPLAIN,
    "অভিযোগ": Kind.COMPLAIN,
    "stop": Kind.STOP,
    "বন্ধ": Kind.STOP,
    "start": Kind.START,
    "চালু": Kind.START,
    "language": Kind.LANGUAGE,
    "lang": Kind.LANGUAGE,
    "ভাষা": Kind.LANGUAGE,
}
LANGUAGES = {"bn": "bn", "bangla": "bn", "bengali": "bn", "বাংলা": "bn", "en": "en", "english": "en", "ইংরেজি": "en"}
_BANGLA = re.compile(r"[\u0980-\u09FF]")
_NUMBER_THEN_TEXT = re.compile(r"^((?:\d ?){9})\s*(.*)$", re.S)


def parse(text: str) -> Command:
    raw = (text or "").strip()
    bangla = bool(_BANGLA.search(raw))
    normalised = to_ascii_digits(raw)
    if normalised in ("1", "2"):
        return Command(Kind.ANSWER, normalised, bangla)
    first, _, rest = normalised.partition(" ")
    word = first.lower().strip(".,!:")
    if word in LANGUAGES and not rest:  # "bn" or "English" alone switches language
        return Command(Kind.LANGUAGE, LANGUAGES[word], bangla)
    kind = KEYWORDS.get(word)
    if kind is None:
        return Command(Kind.HELP, "", bangla)
    argument = rest.strip()
    if kind is Kind.LANGUAGE:
        argument = LANGUAGES.get(argument.lower(), "")
        if not argument:
            return Command(Kind.HELP, "", bangla)
    if kind is Kind.STATUS:
        argument = argument.replace(" ", "")
    if kind is Kind.INFO:  # a 9-digit number, perhaps typed in groups, then the answer
        match = _NUMBER_THEN_TEXT.match(argument)
        argument = f"{match.group(1).replace(' ', '')} {match.group(2)}" if match else ""
    return Command(kind, argument, bangla)
