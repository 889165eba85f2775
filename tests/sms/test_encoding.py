from sms.encoding import segments


def test_gsm7_single_and_concatenated():
    single = segments("a" * 160)
    assert (single.encoding, single.units, single.segments) == ("GSM-7", 160, 1)
    assert segments("a" * 161).segments == 2
    assert segments("a" * 306).segments == 2 and segments("a" * 307).segments == 3


def test_extension_characters_count_twice():
    assert segments("€" * 80).units == 160 and segments("€" * 80).segments == 1
    assert segments("€" * 81).segments == 2


def test_bangla_is_ucs2_counted_in_utf16_units():
    one = segments("ক" * 70)
    assert (one.encoding, one.units, one.segments) == ("UCS-2", 70, 1)
    assert segments("ক" * 71).segments == 2
    assert segments("ক" * 134).segments == 2 and segments("ক" * 135).segments == 3
    assert segments("ক্ষ").units == 3  # a conjunct is three code units
