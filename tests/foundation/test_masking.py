from foundation.masking import mask_account_number, mask_mobile, mask_nid


def test_masks_keep_only_a_few_digits():
    assert mask_account_number("01712345678") == "**5678"
    assert mask_nid("19581234567890123") == "**************123"
    assert mask_mobile("+8801712345678") == "+88017*****678"
    assert mask_account_number(None) is None


def test_enrolment_shows_account_masked(session):
    from tests.factories import make_citizen, make_enrolment

    enrolment = make_enrolment(session, make_citizen(session, age=70), account_number="1234567890123")
    assert enrolment.masked_account_number == "**0123"
