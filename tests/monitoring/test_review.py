from grievance.models import Category, Channel
from monitoring.review import open_review_case, review_text


def test_a_review_case_is_a_complaint_naming_the_signal_with_the_item_masked(session, no_dispatch):
    item = {"account": "01712345678", "households": 3, "nid": "1958123456789"}
    filed = open_review_case(session, "shared_accounts", item, reviewer_phone="+8801911111111", programme_code="OAA")
    case = filed.grievance
    assert (case.category, case.channel, case.programme_code) == (Category.OTHER, Channel.STAFF, "OAA")
    assert case.text.startswith("Signal shared_accounts: account=**5678 households=3")
    assert "01712345678" not in case.text and "1958123456789" not in case.text
    assert case.citizen_id is None  # the person the signal is about is not told, nor made the complainant


def test_the_same_item_twice_is_one_case(session, no_dispatch):
    item = {"outlet": "OUT1", "night": 12}
    first = open_review_case(session, "outlets", item, reviewer_phone="+8801911111111", programme_code="FFP")
    again = open_review_case(session, "outlets", item, reviewer_phone="+8801911111111", programme_code="FFP")
    assert again.duplicate and again.id == first.id


def test_an_unknown_signal_is_refused():
    import pytest

    with pytest.raises(KeyError):
        review_text("no_such_signal", {})
