from hypothesis import given
from hypothesis import strategies as st

from foundation.gsm7 import gsm7_septets, utf16_units
from ussd_app.budget import EMPTY, ScreenBudget, size_of


def test_gsm7_extension_characters_count_twice():
    assert gsm7_septets("abc") == 3
    assert gsm7_septets("€[]") == 6
    assert gsm7_septets("বাংলা") is None


def test_bangla_counts_utf16_code_units_not_code_points_or_bytes():
    assert utf16_units("ক্ষ") == 3  # a conjunct is three code units
    assert len("ক্ষ".encode()) == 9


def test_one_bangla_letter_switches_the_whole_screen_to_ucs2():
    budget = ScreenBudget()
    assert budget.measure("a" * 160).fits
    assert not budget.measure("a" * 80 + "ক").fits
    assert budget.measure("a" * 79 + "ক").encoding == "UCS-2"
    assert str(budget.measure("ক" * 62)) == "62/80"


def test_ascii_only_gateway_refuses_bangla_script():
    budget = ScreenBudget(ascii_only=True)
    assert budget.fits("Ami ki joggo?")
    assert not budget.fits("আমি")


@given(
    st.lists(st.text(alphabet=st.sampled_from("aZ 9€[\nকা্ঁ১é\ud800😀"), max_size=30), min_size=1, max_size=4),
    st.integers(10, 170),
    st.integers(5, 90),
    st.booleans(),
)
def test_sizes_add_up_to_what_measuring_the_whole_text_gives(parts, gsm7_limit, ucs2_limit, ascii_only):
    budget = ScreenBudget(gsm7_limit, ucs2_limit, ascii_only)
    total = EMPTY
    for part in parts:
        total = total.plus(size_of(part))
    assert budget.fits_size(*total) == budget.fits("".join(parts))
