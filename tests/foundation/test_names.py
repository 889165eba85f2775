"""Names compared by one key, in the database (normalised_name) and in Python (name_key)."""

import unicodedata

import pytest
from sqlalchemy import literal, select

from foundation.names import name_key, normalised_name

# Each group: one name as people write it differently.
SPELLINGS = [
    ["Md. Abdul  Karim", "MD ABDUL-KARIM", "md abdul karim", "Md.Abdul (Karim)"],
    ["মো. আব্দুল করিম", "মো আব্দুল করিম", "মো\u200cআব্দুল\u00a0করিম"],
    # য় and ড় as one character (the composition exclusions) and as the letter and the nukta.
    ["রহিমা বেগম ভূঁইয়া", "রহিমা বেগম ভূঁই\u09af\u09bcা", "রহিমা বেগম ভূঁই\u09dfা"],
    ["বড়ুয়া", "ব\u09a1\u09bcু\u09af\u09bcা", "ব\u09dcু\u09dfা"],
    # ো and ৌ as one vowel sign and as its two halves; a nukta typed after the virama.
    ["মোহাম্মদ গৌতম", "ম\u09c7\u09beহাম্মদ গ\u09c7\u09d7তম"],
    ["ক\u09bc\u09cdষ", "ক\u09cd\u09bcষ"],
]


def _in_database(session, text: str) -> str:
    return session.scalar(select(normalised_name(literal(text))))


@pytest.mark.parametrize("spellings", SPELLINGS, ids=lambda group: group[0])
def test_every_spelling_of_a_name_has_one_key_in_python_and_in_the_database(session, spellings):
    keys = {name_key(text) for text in spellings} | {_in_database(session, text) for text in spellings}
    assert len(keys) == 1, keys
    [key] = keys
    assert key == unicodedata.normalize("NFC", key) and " " not in key and "." not in key


def test_different_names_keep_different_keys(session):
    names = ["Rahima Begum", "Rahima Begom", "Rahim Begum", "শেরপুর", "শ্রীপুর", "রহিমা", "রহিম", "বড়ুয়া", "বড়ুযা"]
    keys = [name_key(name) for name in names]
    assert len(set(keys)) == len(names)
    assert keys == [_in_database(session, name) for name in names]


def test_a_missing_name_has_no_key(session):
    assert session.scalar(select(normalised_name(literal(None)))) is None
