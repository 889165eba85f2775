import pytest

from sms.commands import Command, Kind, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HELP", Command(Kind.HELP)),
        ("সাহায্য", Command(Kind.HELP, bangla=True)),
        ("Balance", Command(Kind.BALANCE)),
        ("টোকেন", Command(Kind.BALANCE, bangla=True)),
        ("pay", Command(Kind.PAYMENT)),
        ("ভাতা", Command(Kind.PAYMENT, bangla=True)),
        ("status 123 456 789", Command(Kind.STATUS, "123456789")),
        ("অবস্থা ১২৩৪৫৬৭৮৯", Command(Kind.STATUS, "123456789", bangla=True)),
        ("complain dealer gave 20 kg not 30", Command(Kind.COMPLAIN, "dealer gave 20 kg not 30")),
        ("অভিযোগ ডিলার চাল দেয়নি", Command(Kind.COMPLAIN, "ডিলার চাল দেয়নি", bangla=True)),
        ("STOP", Command(Kind.STOP)),
        ("বন্ধ", Command(Kind.STOP, bangla=True)),
        ("start", Command(Kind.START)),
        ("lang bn", Command(Kind.LANGUAGE, "bn")),
        ("English", Command(Kind.LANGUAGE, "en")),
        ("ভাষা বাংলা", Command(Kind.LANGUAGE, "bn", bangla=True)),
        ("১", Command(Kind.ANSWER, "1", bangla=True)),
        (" 2 ", Command(Kind.ANSWER, "2")),
        ("info 123 456 789 my union is Debidwar", Command(Kind.INFO, "123456789 my union is Debidwar")),
        ("তথ্য ১২৩৪৫৬৭৮৯ দেবিদ্বার", Command(Kind.INFO, "123456789 দেবিদ্বার", bangla=True)),
        ("info 12345", Command(Kind.INFO, "")),
        ("what is this", Command(Kind.HELP)),
        ("lang klingon", Command(Kind.HELP)),
        ("", Command(Kind.HELP)),
    ],
)
def test_commands_in_both_languages(text, expected):
    assert parse(text) == expected
