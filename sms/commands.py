"""SMS commands in Bangla and English: what a text message asks for.

Case does not matter, Bengali digits are digits, and anything not understood gets help.
Bangla words count in Bengali script and romanized, as people type them on a Latin keypad.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from foundation.glossary import glossary
from foundation.i18n import to_ascii_digits
from registry.validation import InvalidValue, parse_nid


class Kind(enum.StrEnum):
    HELP = "help"
    BALANCE = "balance"
    PAYMENT = "payment"
    STATUS = "status"
    COMPLAIN = "complain"
    STOP = "stop"
    START = "start"
    LANGUAGE = "language"
    # "1" or "2": yes or no to the question this phone was asked last that is still open
    # ("is your complaint resolved?", "did you receive Tk 600?"); "1 123456789": to that complaint.
    ANSWER = "answer"
    INFO = "info"  # "INFO 123456789 the answer": the information an office asked for
    NID = "nid"  # "NID 1234567890 05031960": another person's eligibility, decisions only
    # An outlet operator's: "REDEEM <mobile or NID> <quantity> [programme]", then "CODE <6 digits>".
    REDEEM = "redeem"
    CODE = "code"


@dataclass(frozen=True)
class Command:
    kind: Kind
    argument: str = ""
    bangla: bool = False  # written in Bangla: answer in Bangla if we do not know the sender


# The one table of keywords: per command, its English words, then its Bangla words. Bangla
# words are in Bengali script and romanized as commonly spelt on a Latin keypad (b/bh/v for
# ভ, o/a for the inherent vowel, with or without the h of a aspirate); a Bangla word gets a
# Bangla answer. A word that is English as well as romanized Bangla ("token", "nid") stays
# English: the answer is then in the sender's registered language.
_WORDS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Kind.HELP: (("help", "h", "?"), ("সাহায্য", "sahajjo", "shahajjo", "sahajyo")),
    Kind.BALANCE: (("balance", "bal", "token"), ("ব্যালেন্স", "টোকেন")),
    Kind.PAYMENT: (("payment", "pay"), ("ভাতা", "পেমেন্ট", "bhata", "vata")),
    Kind.STATUS: (("status",), ("অবস্থা", "obostha", "obosta", "abostha")),
    Kind.INFO: (("info",), ("তথ্য", "totho", "tottho")),
    Kind.COMPLAIN: (("complain", "complaint"), ("অভিযোগ", "obhijog", "ovijog", "abhijog")),
    Kind.STOP: (("stop",), ("বন্ধ", "bondho", "bondo")),
    Kind.START: (("start",), ("চালু", "chalu")),
    Kind.LANGUAGE: (("language", "lang"), ("ভাষা", "bhasha", "vasha")),
    Kind.NID: (("nid",), ("এনআইডি",)),
    # বিতরণ (hand over) is what a dealer does with the rice; দিন would also read as "day".
    Kind.REDEEM: (("redeem", "give"), ("বিতরণ", "bitoron", "bitaron", "biton")),
    Kind.CODE: (("code",), ("কোড", "kod")),
}
# The glossary's own words for these concepts (locales/glossary.csv), in Bengali script and
# romanized: a keyword is written the way every screen and message writes the concept.
_GLOSSARY_TERMS: dict[Kind, tuple[str, ...]] = {
    Kind.PAYMENT: ("allowance", "payment"),
    Kind.BALANCE: ("balance", "e-token"),
    Kind.STATUS: ("status",),
    Kind.COMPLAIN: ("complaint",),
    Kind.LANGUAGE: ("language",),
    Kind.REDEEM: ("hand over",),
    Kind.CODE: ("code",),
}


def _keywords() -> dict[str, tuple[Kind, bool]]:
    words = {
        word: (kind, bangla)
        for kind, (english, bangla_words) in _WORDS.items()
        for bangla, words in ((False, english), (True, bangla_words))
        for word in words
    }
    for kind, terms in _GLOSSARY_TERMS.items():
        for key in terms:
            term = glossary()[key]
            english = {form.lower() for form in term.english_forms}
            for form in english:
                words.setdefault(form, (kind, False))  # "allowance", "e-tokens"
            for locale in ("bn", "bn_Latn"):
                for form in term.forms(locale):
                    # A romanized word that is also English ("payment", "e-token") says
                    # nothing about the sender's language.
                    words.setdefault(form.lower(), (kind, form.lower() not in english))
    return words


KEYWORDS: dict[str, tuple[Kind, bool]] = _keywords()
LANGUAGES = {"bn": "bn", "bangla": "bn", "bengali": "bn", "বাংলা": "bn", "en": "en", "english": "en", "ইংরেজি": "en"}
_BANGLA = re.compile(r"[\u0980-\u09FF]")
# "2 123456789": an answer about the complaint of that number (typed in groups or not).
_ANSWER_WITH_NUMBER = re.compile(r"^([12])[\s.,:]+((?:[0-9] ?){9,10})$")
_NUMBER_THEN_TEXT = re.compile(r"^((?:[0-9] ?){9})\s*(.*)$", re.S)
# A date of birth as typed: DDMMYYYY, or day, month and year split by - / or . ([0-9], never
# \d, which matches the digits of every script).
_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})|([0-9]{1,2})([-/.])([0-9]{1,2})\5([0-9]{4})")
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def parse(text: str) -> Command:
    raw = (text or "").strip()
    bangla = bool(_BANGLA.search(raw))
    normalised = to_ascii_digits(raw)
    if normalised in ("1", "2"):
        return Command(Kind.ANSWER, normalised, bangla)
    answer_with_number = _ANSWER_WITH_NUMBER.match(normalised)
    if answer_with_number:
        said, number = answer_with_number.groups()
        return Command(Kind.ANSWER, f"{said} {number.replace(' ', '')}", bangla)
    first, _, rest = normalised.partition(" ")
    word = first.lower().strip(".,!:?।")
    if word in LANGUAGES and not rest:  # "bn" or "English" alone switches language
        return Command(Kind.LANGUAGE, LANGUAGES[word], bangla)
    if word not in KEYWORDS:
        return Command(Kind.HELP, "", bangla)
    kind, bangla_word = KEYWORDS[word]
    bangla = bangla or bangla_word
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
    if kind is Kind.NID:
        argument = nid_and_birth_date(argument)
    if kind is Kind.CODE:  # "CODE 482 913": the digits, perhaps typed in groups
        argument = argument.replace(" ", "")
    if kind is Kind.REDEEM:
        argument = " ".join(argument.split())
    return Command(kind, argument, bangla)


def nid_and_birth_date(text: str) -> str:
    """ "<NID> <date of birth>" as "<NID digits> <ISO date>", or "" if either is malformed or
    the date is no real date (whether it has passed is for the answer, which knows today)."""
    *nid_parts, typed_date = text.split() or [""]
    match = _DATE.fullmatch(typed_date)
    if not nid_parts or match is None:
        return ""
    day, month, year = (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.group(4, 6, 7)
    try:
        nid = parse_nid(" ".join(nid_parts))  # the NID may be typed in groups
        born = dt.date(int(year), int(month), int(day))
    except (InvalidValue, ValueError):  # a wrong length; 31 February, month 13
        return ""
    if born < EARLIEST_BIRTH_DATE:
        return ""
    return f"{nid} {born.isoformat()}"
