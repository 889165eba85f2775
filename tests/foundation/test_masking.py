from foundation.masking import mask_account_number, mask_mobile, mask_nid


def test_masks_keep_only_a_few_digits():
    assert mask_account_number("01712345678") == "**5678"
    assert mask_nid("19581234567890123") == "**************123"
    assert mask_mobile("+8801712345678") == "+88017*****678"
    assert mask_account_number(None) is None
