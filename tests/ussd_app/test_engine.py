"""Navigation, replays, invalid input, resume and failures: the engine's promises."""

from foundation.i18n import to_ascii_digits, translate
from ussd_app.budget import ScreenBudget


def _bn(message: str) -> str:
    return translate("bn", message)


BACK_HOME = f"০ {_bn('Back')} ০০ {_bn('Menu')}"


def test_replayed_hop_returns_the_same_screen_and_advances_nothing(phone):
    phone.dial()
    first = phone.press("1")
    assert phone.repeat() == first
    assert phone.choose("বয়স্ক ভাতা", first).startswith("CON বয়স্ক ভাতা:")


def test_back_and_main_menu_work_inside_pagination(phone):
    phone.dial()
    page1 = phone.press("1")
    page2 = phone.press("98")
    last_on_page1 = int(to_ascii_digits(page1.split("\n")[-2].split(" ")[0]))
    assert to_ascii_digits(page2).startswith(f"CON {last_on_page1 + 1} ")  # numbering continues across pages
    assert phone.press("0") == page1  # back one page
    phone.press("98")
    phone.press("98")
    assert phone.press("00").startswith("CON সহায়তা\n১ ")


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
    # The same options again; the notice, with "98 More", where the title and the 98 line were.
    assert wrong.split("\n")[1:] == menu.split("\n")[1:-1]
    assert wrong.startswith(f"CON {_bn('Wrong key.')} ৯৮ {_bn('More')}\n")  # the long notice does not fit
    assert phone.press("x").startswith(f"CON {_bn('Wrong key.')}")
    assert phone.press("77") == "END " + _bn("Too many wrong entries. Please dial again.")
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
    assert offer.startswith("CON আগের জায়গা থেকে চালিয়ে যাবেন?\n১ ")
    assert phone.press("1") == where


def test_starting_over_instead_of_resuming(phone):
    phone.dial()
    phone.press("1")
    phone.dial()
    assert phone.press("2").startswith("CON সহায়তা\n১ ")
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
    assert response.get_data(as_text=True) == "END " + _bn("Service unavailable. Please try again later.")


def test_digits_of_other_scripts_are_a_wrong_entry_not_a_failure(phone):
    for typed in ("²", "١", "３"):
        phone.dial()
        screen = phone.press(typed)
        assert screen.startswith(f"CON {_bn('Wrong key.')}"), screen


def test_another_phone_under_the_same_session_id_starts_afresh(phone, stranger):
    phone.dial()
    payments = phone.press("2")
    assert "বয়স্ক ভাতা" in payments
    stranger.session_id, stranger.history = phone.session_id, list(phone.history)
    replayed = stranger.repeat()  # the same session id and hop key from another number
    assert replayed != payments and "বয়স্ক ভাতা" not in replayed
    assert replayed.startswith("CON " + _bn("This number is not registered."))  # the stranger's own first screen


def test_a_wrong_key_shows_the_same_page_and_the_next_page_follows_on(phone):
    phone.dial()
    first = phone.press("1")  # the programme list, several pages
    wrong = phone.press("55")
    assert wrong.split("\n")[1:] == first.split("\n")[1:-1]  # the notice stands for title and footer
    after_wrong = phone.press("98")
    phone.dial_fresh()
    phone.press("1")
    assert phone.press("98") == after_wrong  # the same second page as without the wrong key


def test_more_on_the_last_page_shows_it_again_and_is_not_a_wrong_entry(phone):
    phone.dial()
    screen = phone.press("1")
    while "\n৯৮ " in screen:
        screen = phone.press("98")
    for _ in range(4):  # three wrong entries would end the session
        assert phone.press("98") == screen


def test_more_is_offered_only_where_a_next_page_exists(phone):
    phone.dial()
    screen = phone.press("1")
    pages = [screen]
    while "\n৯৮ " in screen:
        screen = phone.press("98")
        pages.append(screen)
    assert len(pages) > 1 and "৯৮" not in pages[-1]


def test_a_wrong_key_on_an_information_screen_says_which_keys_work(phone):
    phone.dial()
    phone.press("3")  # e-tokens: one page of text
    wrong = phone.press("5")
    assert wrong.startswith(f"CON {_bn('Wrong key.')} {BACK_HOME}\n"), wrong


def test_back_on_the_first_page_goes_back_one_screen(phone):
    menu = phone.dial()
    phone.press("3")
    assert phone.press("0") == menu


def test_back_and_menu_are_taught_once_then_left_to_the_answer(phone):
    phone.dial()
    first_menu = phone.press("1")  # the first screen below the main menu teaches the keys
    pages = [first_menu]
    while "\n৯৮ " in pages[-1]:
        pages.append(phone.press("98"))
    assert pages[-1].endswith(f"\n{BACK_HOME}")
    phone.press("00")
    again = phone.press("1")
    pages = [again]
    while "\n৯৮ " in pages[-1]:
        pages.append(phone.press("98"))
    assert BACK_HOME not in pages[-1]  # taught: the room goes to the options


def test_a_caller_who_hangs_up_gets_no_resume_offer(app, phone):
    phone.dial()
    phone.press("1")
    app.extensions["sahayata.ussd"].hang_up("africastalking", phone.session_id)
    assert phone.dial().startswith("CON সহায়তা\n")
