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
        ("1 123456789", Command(Kind.ANSWER, "1 123456789")),  # yes, about that complaint
        ("২ ১২৩ ৪৫৬ ৭৮৯", Command(Kind.ANSWER, "2 123456789", bangla=True)),
        ("2 12345", Command(Kind.HELP)),  # no tracking number
        ("info 123 456 789 my union is Debidwar", Command(Kind.INFO, "123456789 my union is Debidwar")),
        ("তথ্য ১২৩৪৫৬৭৮৯ দেবিদ্বার", Command(Kind.INFO, "123456789 দেবিদ্বার", bangla=True)),
        ("info 12345", Command(Kind.INFO, "")),
        ("info ١٢٣٤٥٦٧٨٩ my union", Command(Kind.INFO, "")),  # Arabic-Indic digits are no number here
        ("NID 1987654321 05031960", Command(Kind.NID, "1987654321 1960-03-05")),
        ("nid 19876 54321 05-03-1960", Command(Kind.NID, "1987654321 1960-03-05")),  # an NID typed in groups
        ("NID 1987654321 5/3/1960", Command(Kind.NID, "1987654321 1960-03-05")),
        ("NID 1987654321 05.03.1960", Command(Kind.NID, "1987654321 1960-03-05")),
        ("এনআইডি ১৯৮৭৬৫৪৩২১ ০৫০৩১৯৬০", Command(Kind.NID, "1987654321 1960-03-05", bangla=True)),
        ("NID 1987654321", Command(Kind.NID, "")),
        ("NID 1987654321 05-03/1960", Command(Kind.NID, "")),  # two different separators
        ("NID 1987654321 30021960", Command(Kind.NID, "")),
        ("NID 123 05031960", Command(Kind.NID, "")),
        ("what is this", Command(Kind.HELP)),
        ("lang klingon", Command(Kind.HELP)),
        ("", Command(Kind.HELP)),
    ],
)
def test_commands_in_both_languages(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("bhata", Kind.PAYMENT),
        ("Vata", Kind.PAYMENT),
        ("obhijog dealer gave 20 kg", Kind.COMPLAIN),
        ("ovijog", Kind.COMPLAIN),
        ("abhijog", Kind.COMPLAIN),
        ("obostha 123456789", Kind.STATUS),
        ("obosta 123456789", Kind.STATUS),
        ("abostha 123456789", Kind.STATUS),
        ("sahajjo", Kind.HELP),
        ("shahajjo", Kind.HELP),
        ("bondho", Kind.STOP),
        ("bondo", Kind.STOP),
        ("chalu", Kind.START),
        ("bhasha en", Kind.LANGUAGE),
        ("vasha bangla", Kind.LANGUAGE),
        ("totho 123456789 Debidwar", Kind.INFO),
        ("tottho 123456789 Debidwar", Kind.INFO),
    ],
)
def test_romanized_bangla_keywords_are_commands_answered_in_bangla(text, kind):
    command = parse(text)
    assert (command.kind, command.bangla) == (kind, True)


@pytest.mark.parametrize(("text", "kind"), [("token", Kind.BALANCE), ("nid 1987654321 05031960", Kind.NID)])
def test_words_that_are_english_too_leave_the_language_to_the_sender(text, kind):
    assert parse(text) == Command(kind, parse(text).argument, bangla=False)


def test_a_romanized_command_keeps_its_argument():
    assert parse("obhijog dealer gave 20 kg") == Command(Kind.COMPLAIN, "dealer gave 20 kg", bangla=True)
    assert parse("bhasha en") == Command(Kind.LANGUAGE, "en", bangla=True)


def test_the_glossarys_words_are_keywords_in_bengali_script_and_romanized():
    from foundation.glossary import term

    assert parse(term("complaint", "bn_Latn") + " taka pai nai").kind is Kind.COMPLAIN
    assert parse(term("status", "bn_Latn") + " 123456789").kind is Kind.STATUS
    assert parse(term("e-token", "bn")).kind is Kind.BALANCE
    assert parse(term("payment", "bn")) == Command(Kind.PAYMENT, "", bangla=True)
    assert parse("e-token") == Command(Kind.BALANCE, "", bangla=False)  # English too: no language


def test_a_keyword_with_a_question_mark_or_in_the_glossarys_english_is_still_a_command():
    assert parse("bhata?") == Command(Kind.PAYMENT, "", bangla=True)
    assert parse("Allowance").kind is Kind.PAYMENT
