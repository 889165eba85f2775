"""What a session adds to the screen counters: the dial, each screen reached once however many
pages or wrong keys follow, and a journey finished by its answer; and every screen's name."""

import datetime as dt

import pytest

from foundation import screen_counts
from foundation.jobs import redis_connection
from ussd_app.engine import HOME_SCREEN
from ussd_app.journeys import JOURNEYS


def counts(app) -> dict[str, dict[str, int]]:
    return screen_counts.day(redis_connection(app), dt.date.today())


def test_a_dial_is_counted_once_and_a_retried_first_hop_is_not_counted_again(app, phone):
    phone.dial()
    phone.repeat()
    assert counts(app)[HOME_SCREEN]["dialled"] == 1
    phone.dial()
    assert counts(app)[HOME_SCREEN]["dialled"] == 2


def test_a_screen_is_reached_once_however_many_pages_and_wrong_keys_follow(app, phone):
    phone.dial()
    menu = phone.press("1")  # Am I eligible? A programme list of several pages
    assert "\n৯৮ " in menu
    phone.press("98")
    phone.press("9999")  # a wrong key shows the page again
    phone.press("0")
    seen = counts(app)["eligibility"]
    assert seen["reached"] == 1 and seen["views"] == 4 and seen["invalid"] == 1
    phone.press("00")
    phone.press("1")  # reached again: a second arrival
    assert counts(app)["eligibility"]["reached"] == 2


def test_a_complaint_sent_finishes_its_journey(app, phone):
    phone.dial()
    phone.press("4")  # Make a complaint
    phone.press("1")
    phone.press("2")
    phone.press("1")  # no words
    done = phone.press("1")  # Send
    assert done.startswith("END ")
    seen = counts(app)
    assert [seen[s]["reached"] for s in ("complaint_category", "complaint_programme", "complaint_text")] == [1, 1, 1]
    assert seen["complaint_confirm"]["reached"] == 1 and seen["complaint_confirm"]["finished"] == 1


def test_a_cancelled_complaint_is_not_finished(app, phone):
    phone.dial()
    for key in ("4", "1", "2", "1", "2"):  # ... Cancel
        phone.press(key)
    assert counts(app)["complaint_confirm"]["finished"] == 0


@pytest.mark.parametrize("locale", ["bn", "en"])
def test_every_screen_has_a_name_for_staff(locale):
    other = screen_counts.screen_label(locale, "no_such_screen")
    unnamed = [screen for screen in JOURNEYS if screen_counts.screen_label(locale, screen) == other]
    assert unnamed == []
    names = [screen_counts.screen_label(locale, screen) for screen in JOURNEYS]
    assert len(set(names)) == len(names), "two screens share a name"
    assert all("_" not in name for name in names)


def test_every_funnel_step_is_a_screen_of_the_journeys():
    assert screen_counts.HOME == HOME_SCREEN
    for funnel in screen_counts.FUNNELS:
        screen_counts.journey_label("bn", funnel.journey)
        for step in funnel.steps:
            assert set(step.screens) <= set(JOURNEYS) and step.event in screen_counts.EVENTS, (funnel, step)
