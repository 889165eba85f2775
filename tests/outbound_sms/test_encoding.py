"""Parts at the boundaries: the standard never ends a part inside an escape pair or a
surrogate pair; Twilio never ends one inside a grapheme cluster."""

import pytest

from foundation.gsm7 import utf16_units
from outbound_sms.encoding import Billing, Encoded, billing_for, count_parts, segments, strictest

STANDARD, TWILIO = Billing.STANDARD, Billing.TWILIO
ESC = "^"  # an extension character: escape septet + character, 2 septets
EMOJI = "😀"  # outside the BMP: a surrogate pair, 2 UTF-16 units
KA = "ক"  # 1 unit
KSSA = "ক্ষ"  # ka, virama, ssa: a conjunct, 3 units and one grapheme cluster
KSSI = "ক্ষি"  # the conjunct with a vowel sign: 4 units, one cluster
KI = "কি"  # ka with a vowel sign: 2 units, one cluster
KIM = "কিং"  # and an anusvara: 3 units, one cluster


def test_gsm7_single_and_concatenated():
    single = segments("a" * 160)
    assert (single.encoding, single.units, single.segments) == ("GSM-7", 160, 1)
    assert segments("a" * 161).segments == 2
    assert segments("a" * 306).segments == 2 and segments("a" * 307).segments == 3


def test_extension_characters_count_twice():
    assert segments("€" * 80).units == 160 and segments("€" * 80).segments == 1
    assert segments("€" * 81).segments == 2


def test_bangla_is_ucs2_counted_in_utf16_units():
    one = segments(KA * 70)
    assert (one.encoding, one.units, one.segments) == ("UCS-2", 70, 1)
    assert segments(KA * 71).segments == 2
    assert segments(KA * 134).segments == 2 and segments(KA * 135).segments == 3
    assert segments(KSSA).units == 3


# (text, septets, standard parts, Twilio parts)
GSM7_BOUNDARIES = [
    ("a" * 150 + ESC, 152, 1, 1),
    ("a" * 151 + ESC, 153, 1, 1),
    # 153 pairs: 76 per part (152 septets), the 153rd septet would split a pair.
    (ESC * 153, 306, 3, 3),
    # The pair at septets 153-154 moves whole to part 2, pushing one septet into part 3.
    ("a" * 152 + ESC + "a" * 152, 306, 3, 3),
    # The same pair ending part 1 exactly: two parts.
    ("a" * 151 + ESC + "a" * 153, 306, 2, 2),
    ("a" * 306, 306, 2, 2),
    ("a" * 459, 459, 3, 3),
    # A pair straddling the end of part 2 (septets 306-307) makes a fourth part.
    ("a" * 305 + ESC + "a" * 152, 459, 4, 4),
    ("a" * 304 + ESC + "a" * 153, 459, 3, 3),
    ("a" * 460, 460, 4, 4),
]

# (text, UTF-16 units, standard parts, Twilio parts)
UCS2_BOUNDARIES = [
    (KA * 66, 66, 1, 1),
    (KA * 65 + EMOJI, 67, 1, 1),
    # 67 surrogate pairs: 33 per part (66 units), so the 67th emoji starts part 3.
    (EMOJI * 67, 134, 3, 3),
    # The pair at units 67-68 moves whole to part 2, pushing one unit into part 3.
    (KA * 66 + EMOJI + KA * 66, 134, 3, 3),
    (KA * 65 + EMOJI + KA * 67, 134, 2, 2),
    # A vowel sign at units 67-68: the standard cuts before it, Twilio moves the syllable whole.
    (KA * 66 + KI + KA * 66, 134, 2, 3),
    (KA * 66 + KI + KA * 65, 133, 2, 2),
    (KA * 65 + KIM + KA * 65, 133, 2, 3),
    (KA * 65 + KIM + KA * 66, 134, 2, 3),
    (EMOJI * 32 + "a" + "👍🏽" + "a" * 64, 133, 2, 3),  # a skin tone stays with its emoji
    # A conjunct at units 66-68: the standard cuts it after the virama; current Unicode
    # (regex's \X, rule GB9c) makes it one cluster, so it moves whole. Twilio's published
    # calculator uses an older grapheme splitter that cuts after the virama and bills these
    # one part fewer: counting them whole errs towards more parts, never fewer.
    (KA * 65 + KSSA + KA * 66, 134, 2, 3),
    (KA * 65 + KSSA + KA * 65, 133, 2, 3),
    (KA * 64 + KSSA + KA * 67, 134, 2, 2),
    # The conjunct with its vowel sign across the same boundary.
    (KA * 65 + KSSI + KA * 65, 134, 2, 3),
    (KA * 201, 201, 3, 3),
    (KA * 133 + KI + KA * 66, 201, 3, 4),
    (KA * 132 + KIM + KA * 65, 200, 3, 4),
    (KA * 132 + KIM + KA * 66, 201, 3, 4),
    (KA * 133 + EMOJI + KA * 66, 201, 4, 4),
    # Across the end of part 2 (units 134-136): a fourth part for Twilio only.
    (KA * 132 + KSSA + KA * 66, 201, 3, 4),
    (KA * 132 + KSSA + KA * 65, 200, 3, 4),
    (KA * 132 + KSSI + KA * 64, 200, 3, 4),
    (KA * 202, 202, 4, 4),
]


@pytest.mark.parametrize("text, units, standard, twilio", GSM7_BOUNDARIES + UCS2_BOUNDARIES)
def test_boundaries_as_the_standard_splits_and_as_twilio_bills(text, units, standard, twilio):
    assert count_parts(text, STANDARD).units == units
    assert count_parts(text, STANDARD).segments == standard
    assert count_parts(text, TWILIO).segments == twilio


def test_what_the_old_division_counted_two_needs_three():
    # The old counter divided by 153 or 67; these are the two examples.
    assert -(-306 // 153) == 2 and count_parts(ESC * 153).segments == 3
    assert -(-134 // 67) == 2 and count_parts(EMOJI * 67).segments == 3


def test_a_cluster_longer_than_a_part_is_cut_by_twilio_too():
    pile = "a" + "\u0301" * 80  # one cluster of 81 units
    assert count_parts(pile, TWILIO).segments == count_parts(pile, STANDARD).segments == 2


def test_kannel_and_the_console_follow_the_standard_and_twilio_bills_clusters():
    assert billing_for("kannel") is billing_for("console") is billing_for(None) is STANDARD
    assert billing_for("twilio") is TWILIO
    text = KA * 65 + KSSA + KA * 66
    assert segments(text, "kannel").segments == 2 and segments(text, "twilio").segments == 3


def test_without_a_provider_the_configured_one_counts(app_context, app, monkeypatch):
    text = KA * 65 + KSSA + KA * 66
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "twilio")
    assert segments(text).segments == 3
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "kannel")
    assert segments(text).segments == 2


def test_the_strictest_count_is_never_below_any_providers():
    for text, *_ in GSM7_BOUNDARIES + UCS2_BOUNDARIES:
        assert strictest(text).segments == max(count_parts(text, b).segments for b in Billing)


def test_ussd_screens_still_count_plain_utf16_units():
    assert utf16_units(EMOJI * 3 + KSSA) == 9


@pytest.mark.parametrize("billing", list(Billing))
def test_a_lone_surrogate_is_counted_not_a_crash(billing):
    # Text decoded with errors="surrogateescape" (or sliced through a pair) can hold one.
    assert utf16_units("\ud800") == 1
    assert count_parts("\ud800", billing) == Encoded("UCS-2", 1, 1)
    assert count_parts("\udc00" + KA * 70, billing) == Encoded("UCS-2", 71, 2)


@pytest.mark.parametrize("billing", [STANDARD, TWILIO])
@pytest.mark.parametrize("seed", range(20))
def test_texts_of_one_unit_characters_count_as_packing_each_atom_would(billing, seed):
    """Bangla and plain GSM-7 take the shortcut (an atom costs its length); it must agree
    with packing each character or cluster by its own cost."""
    import random

    from outbound_sms.encoding import GSM7_PART, UCS2_PART, _graphemes, _pack

    chooser = random.Random(seed)
    alphabet = [KA, KSSA, KSSI, KI, KIM, " ", "।"] if seed % 2 else ["a", "B", " ", "7", "."]
    text = "".join(chooser.choice(alphabet) for _ in range(chooser.randrange(40, 200)))
    counted = count_parts(text, billing)
    atoms = _graphemes(text) if billing is TWILIO else text
    part = UCS2_PART if counted.encoding == "UCS-2" else GSM7_PART
    single = 70 if counted.encoding == "UCS-2" else 160
    expected = 1 if counted.units <= single else _pack((utf16_units(atom) for atom in atoms), part)
    assert counted.units == utf16_units(text)
    assert counted.segments == expected
