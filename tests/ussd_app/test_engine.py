"""Navigation, replays, invalid input, resume and failures: the engine's promises."""

from ussd_app.budget import ScreenBudget


def test_replayed_hop_returns_the_same_screen_and_advances_nothing(phone):
    phone.dial()
    first = phone.press("1")
    assert phone.repeat() == first
    assert phone.choose("বয়স্ক ভাতা", first).startswith("CON বয়স্ক ভাতা:")


def test_back_and_main_menu_work_inside_pagination(phone):
    phone.dial()
    page1 = phone.press("1")
    page2 = phone.press("98")
    last_on_page1 = int(page1.split("\n")[-2].split(" ")[0])
    assert page2.startswith(f"CON {last_on_page1 + 1} ")  # numbering continues across pages
    assert phone.press("0") == page1  # back one page
    phone.press("98")
    phone.press("98")
    assert phone.press("00").startswith("CON সহায়তা\n1 ")


def test_options_on_a_later_page_are_chosen_by_their_number(phone):
    phone.dial()
    phone.press("1")
    page2 = phone.press("98")
    number, name = page2.removeprefix("CON ").split("\n")[0].split(" ", 1)
    assert phone.press(number).startswith(f"CON {name}:")


def test_bengali_digits_spaces_and_hash_are_accepted(phone):
    phone.dial()
    assert phone.press(" ১# ").startswith("CON যোগ্যতা: বাছুন")


def test_invalid_input_reprompts_then_ends_after_three(phone):
    menu = phone.dial()
    wrong = phone.press("9")
    assert wrong.startswith("CON তালিকা থেকে একটি নম্বর দিন।\n1 আমি কি যোগ্য?")  # the same menu again
    assert phone.press("x").startswith("CON তালিকা থেকে")
    assert phone.press("77") == "END অনেকবার ভুল হয়েছে। আবার ডায়াল করুন।"
    assert menu.startswith("CON সহায়তা")


def test_a_valid_choice_resets_the_invalid_count(phone):
    phone.dial()
    phone.press("9")
    phone.press("9")
    phone.press("1")
    phone.press("0")
    assert phone.press("9").startswith("CON ")


def test_dropped_session_can_be_resumed_within_five_minutes(phone):
    phone.dial()
    phone.press("1")
    where = phone.press("98")
    offer = phone.dial()  # the same phone dials again: a new session
    assert offer.startswith("CON আগের জায়গা থেকে চালিয়ে যাবেন?\n1 ")
    assert phone.press("1") == where


def test_starting_over_instead_of_resuming(phone):
    phone.dial()
    phone.press("1")
    phone.dial()
    assert phone.press("2").startswith("CON সহায়তা\n1 ")
    assert phone.dial().startswith("CON সহায়তা")  # no second offer


def test_no_resume_offer_after_a_session_that_ended(phone):
    phone.dial()
    for key in ("9", "9", "9"):
        phone.press(key)
    assert phone.dial().startswith("CON সহায়তা")


def test_every_reply_fits_the_default_budget(phone):
    budget = ScreenBudget()
    keys = ("1", "98", "98", "98", "98", "00", "2", "98", "98", "00", "3")
    screens = [phone.dial()] + [phone.press(key) for key in keys]
    for screen in screens:
        assert budget.fits(screen.split(" ", 1)[1]), screen


def test_redis_down_gives_a_short_unavailable_screen_in_bangla(app, caller, database_url):
    from sahayata.app import create_app

    down = create_app({"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = down.test_client().post(
        "/ussd/africastalking", data={"sessionId": "x1", "phoneNumber": caller.mobile, "text": ""}
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "END সেবাটি এখন বন্ধ। পরে আবার চেষ্টা করুন।"


def test_digits_of_other_scripts_are_a_wrong_entry_not_a_failure(phone):
    for typed in ("²", "١", "３"):
        phone.dial()
        screen = phone.press(typed)
        assert screen.startswith("CON তালিকা থেকে একটি নম্বর দিন।"), screen


def test_another_phone_under_the_same_session_id_starts_afresh(phone, stranger):
    phone.dial()
    payments = phone.press("2")
    assert "বয়স্ক ভাতা" in payments
    stranger.session_id, stranger.history = phone.session_id, list(phone.history)
    replayed = stranger.repeat()  # the same session id and hop key from another number
    assert replayed != payments and "বয়স্ক ভাতা" not in replayed
    assert replayed.startswith("CON এই নম্বর নিবন্ধিত নয়।")  # the stranger's own first screen
