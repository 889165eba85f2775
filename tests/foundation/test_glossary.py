"""The compiled catalogs say each concept with the glossary's word (locales/glossary.csv), and
keep the house rules for Bangla: Bengali digits, units in words, "কি না", ASCII romanization."""

import csv
import re

import pytest
from babel.messages.mofile import read_mo

from foundation.config import PROJECT_ROOT
from foundation.glossary import glossary, term
from sms.commands import KEYWORDS

PLACEHOLDER = re.compile(r"%\(\w+\)s")
# A match must start a word: after the start, a space, punctuation or a hyphen ("office-e").
WORD_START = r"(?<![\u0980-\u09FFA-Za-z0-9]){}"
# Where the English names a concept the translation rightly does not: (term, msgid) -> why.
NOT_SAID = {
    ("programme", "Not about a programme"): "the complaint menu's last option says 'another matter' (অন্য বিষয়)",
    ("failed", "It failed: %(reason)s. Contact the %(office)s."): "the payment line before it says ব্যর্থ",
    ("returned", "It was returned: %(reason)s. Update your account at the %(office)s."): "the line before: ফেরত",
}


def _compiled(locale: str) -> dict[str, str]:
    """msgid -> msgstr of the compiled catalog (singular messages)."""
    with open(PROJECT_ROOT / "locales" / locale / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        catalog = read_mo(handle)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}


def _english_words(msgid: str) -> str:
    """The msgid without placeholders or SMS command keywords (STATUS, COMPLAIN: typed as
    they are written, in any language)."""
    glossary_spellings = {form for t in glossary().values() for form in t.english_forms}
    kept = [
        word
        for word in PLACEHOLDER.sub(" ", msgid).split()
        if not (word.strip(",.:;") in map(str.upper, KEYWORDS) and word.strip(",.:;") not in glossary_spellings)
    ]
    return " ".join(kept)


def _uses(text: str, form: str, ignore_case: bool) -> bool:
    flags = re.IGNORECASE if ignore_case else 0
    return re.search(WORD_START.format(re.escape(form)), text, flags) is not None


def _concepts_in(msgid: str):
    english = _english_words(msgid)
    for t in glossary().values():
        if t.key.startswith("programme:"):  # names are data, checked against the seed below
            continue
        if any(re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", english, re.IGNORECASE) for form in t.english_forms):
            yield t


def test_a_term_has_a_word_in_every_locale():
    terms = glossary()
    assert len(terms) > 40
    for t in terms.values():
        assert all(t.words[locale] for locale in ("bn", "bn_Latn", "en")), t.key
        assert all(form.isascii() for form in t.forms("bn_Latn")), t.key


def test_term_looks_a_word_up_by_concept_and_locale():
    assert term("complaint", "bn") == "অভিযোগ"
    assert term("complaint", "bn_Latn") == "obhijog"
    assert term("kg", "bn") == "কেজি" and term("kg", "bn_Latn") == "kg"
    assert glossary()["received"].forms("bn_Latn") == ("grihito", "paini")
    with pytest.raises(KeyError):
        term("complaint", "fr")


@pytest.mark.parametrize("locale", ["bn", "bn_Latn"])
def test_catalog_says_each_concept_with_the_glossary_word(locale):
    missing = []
    for msgid, msgstr in _compiled(locale).items():
        for t in _concepts_in(msgid):
            if (t.key, msgid) in NOT_SAID:
                continue
            if not any(_uses(msgstr, form, ignore_case=locale == "bn_Latn") for form in t.forms(locale)):
                missing.append((t.key, t.words[locale], msgid, msgstr))
    assert missing == []


def test_programme_short_names_are_the_glossary_names():
    with open(PROJECT_ROOT / "registry" / "seed" / "programmes.csv", encoding="utf-8", newline="") as handle:
        programmes = {row["code"]: row for row in csv.DictReader(handle)}
    columns = {"bn": "short_name_bn", "bn_Latn": "short_name_bn_latn", "en": "short_name_en"}
    differ = [
        (t.key, locale, programmes[t.key.removeprefix("programme:")][column], t.words[locale])
        for t in glossary().values()
        if t.key.startswith("programme:")
        for locale, column in columns.items()
        if programmes[t.key.removeprefix("programme:")][column] != t.words[locale]
    ]
    assert differ == []
    assert {f"programme:{code}" for code in programmes} <= set(glossary())


def test_bangla_shows_numbers_in_bengali_digits():
    """Where the English has digits (placeholders are filled, in Bengali digits, at run time)."""
    latin = [
        (msgid, msgstr)
        for msgid, msgstr in _compiled("bn").items()
        if re.search(r"[0-9]", PLACEHOLDER.sub("", msgid)) and re.search(r"[0-9]", PLACEHOLDER.sub("", msgstr))
    ]
    assert latin == []


def test_bangla_writes_ki_na_apart_and_units_in_words():
    wrong = [msgstr for msgstr in _compiled("bn").values() if "কিনা" in msgstr or re.search("kg", msgstr, re.I)]
    assert wrong == []


def test_compiled_romanized_catalog_is_pure_ascii():
    assert [msgstr for msgstr in _compiled("bn_Latn").values() if not msgstr.isascii()] == []
