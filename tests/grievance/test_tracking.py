import random

from grievance.tracking import check_digit, is_valid, new_tracking_number


def test_new_numbers_are_nine_digits_and_valid():
    numbers = {new_tracking_number() for _ in range(1000)}
    # Random, not sequential. Two of 1,000 draws from 90 million bodies coincide about once
    # in 180 runs (intake draws again when a number is taken), so a test demanding 1,000
    # distinct numbers failed now and then; more than five repeats would mean no randomness.
    assert len(numbers) >= 995
    assert all(len(n) == 9 and n.isdigit() and n[0] != "0" and is_valid(n) for n in numbers)


def test_every_single_digit_slip_is_caught():
    rng = random.Random(1)
    for _ in range(200):
        number = new_tracking_number()
        position = rng.randrange(len(number))
        for digit in "0123456789":
            if digit != number[position]:
                assert not is_valid(number[:position] + digit + number[position + 1 :])


def test_every_swap_of_neighbouring_digits_is_caught():
    for _ in range(200):
        number = new_tracking_number()
        for i in range(len(number) - 1):
            if number[i] != number[i + 1]:
                swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
                assert not is_valid(swapped)


def test_known_damm_value_and_bad_shapes():
    assert check_digit("572") == "4"  # the textbook example
    assert is_valid("5724")
    assert not is_valid("") and not is_valid("12a4") and not is_valid("১২৩") and not is_valid("1" * 11)
