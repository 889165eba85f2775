"""The staff workspace in a real browser: Playwright driving Debian's Chromium."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from foundation.jobs import redis_connection
from grievance.models import Category, Status
from notices.notifications import deliver_complaint_updates
from outbound_sms.models import Message
from outbound_sms.providers.console import ConsoleProvider
from tests.factories import STAFF_PASSWORD, make_staff
from tests.helpers import drain, serving


@pytest.fixture
def site(app):
    with serving(app) as base_url:
        yield base_url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def sign_in(page, site, user, password=STAFF_PASSWORD):
    page.goto(f"{site}/staff/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("#sign-in")


def do(page, action, note="", to=""):
    page.select_option("#action", action)
    if to:
        page.select_option("#to", to)
    if note:
        page.fill("#note", note)
    page.click("#do-action")


def test_work_a_complaint_from_received_to_resolved(app, site, page, session, routed_case, officer, tmp_path):
    from playwright.sync_api import expect

    redis_connection(app).delete("sms:console")
    grievance = routed_case()
    sign_in(page, site, officer)
    expect(page.locator("#queue")).to_contain_text(grievance.tracking_number)
    page.click(f"text={grievance.tracking_number}")
    expect(page.locator("#masked-phone")).to_have_text("+88017*****678")
    do(page, "acknowledge")
    expect(page.locator("#status")).to_have_attribute("data-status", "acknowledged")
    expect(page.locator("#status")).to_have_text("seen by the office")
    page.click("#reveal-phone")
    expect(page.locator("#full-phone")).to_have_text("+8801712345678")
    page.go_back()
    do(page, "resolve", note="Paid on 20 November through Nagad")
    expect(page.locator("#status")).to_have_attribute("data-status", "resolved")
    expect(page.locator("#timeline")).to_contain_text("Paid on 20 November through Nagad")
    page.screenshot(path=str(tmp_path / "case.png"))
    session.expire_all()
    assert session.get(type(grievance), grievance.id).status is Status.RESOLVED
    drain(app)
    deliver_complaint_updates(grievance.id)
    drain(app)
    sent = [entry["text"] for entry in ConsoleProvider(redis_connection(app)).recent(20)]
    asked = [text for text in sent if "সমাধান হয়েছে কি? হ্যাঁ হলে ১, না হলে ২" in text]  # a question, not a doubt
    assert asked and grievance.tracking_number not in asked[0]  # the number in Bengali digits


def test_transfer_and_another_ministrys_case_is_not_found(app, site, page, session, routed_case, officer):
    from playwright.sync_api import expect

    mine = routed_case(category=Category.AMOUNT_SHORT)
    theirs = routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{theirs.tracking_number}")
    expect(page.locator("#problem")).to_have_text("Not found.")
    page.goto(f"{site}/staff/cases/{mine.tracking_number}")
    do(page, "transfer", note="food-friendly card problem", to="MOFOOD")
    expect(page.locator("[role=status]")).to_contain_text("Done.")
    expect(page.locator("#queue")).not_to_contain_text(mine.tracking_number)
    session.expire_all()
    assert session.get(type(mine), mine.id).ministry_code == "MOFOOD"


def test_a_form_without_its_csrf_token_fails(app, site, page, session, routed_case, officer):
    from playwright.sync_api import expect

    grievance = routed_case()
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    page.evaluate("document.querySelector('#act input[name=csrf_token]').remove()")
    do(page, "acknowledge")
    expect(page.locator("#problem")).to_contain_text("The form has expired")
    session.expire_all()
    assert session.get(type(grievance), grievance.id).status is Status.ROUTED


def test_slowed_down_after_repeated_bad_passwords(site, page, officer):
    from playwright.sync_api import expect

    for _ in range(5):
        sign_in(page, site, officer, password="wrong wrong wrong")
    expect(page.locator("#login-error")).to_contain_text("ইমেইল বা পাসওয়ার্ড ভুল")
    sign_in(page, site, officer)  # from the same address: not even checked for 15 minutes
    expect(page.locator("#login-error")).to_contain_text("১৫ মিনিট অপেক্ষা")


def test_read_the_dashboard(site, page, session, routed_case):
    from playwright.sync_api import expect

    routed_case()
    coordinator = make_staff(session, "coordinator", language="bn")
    session.commit()
    sign_in(page, site, coordinator)
    page.goto(f"{site}/staff/dashboard")
    expect(page.locator("#open-count")).to_have_text("১")  # a Bangla reader reads Bengali digits
    expect(page.locator("svg").first).to_be_visible()
    expect(page.locator("h1")).to_contain_text("ড্যাশবোর্ড")


def test_asking_shows_the_sms_and_its_parts_while_typing_and_keeps_a_refused_question(
    app, site, page, session, routed_case, officer
):
    from playwright.sync_api import expect

    refused_by_policy = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused_by_policy.append(m.text))
    grievance = routed_case()
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    expect(page.locator("#sms-preview")).to_be_hidden()
    page.select_option("#action", "ask")
    page.fill("#note", "Since which month?")
    expect(page.locator("#sms-parts")).to_have_text("2 of at most 2 SMS parts.")
    expect(page.locator("#sms-text")).to_contain_text("অফিস জানতে চায়: Since which month? উত্তর দিতে")
    page.fill("#note", "🙏" * 60)
    expect(page.locator("#sms-parts")).to_contain_text("would need 4 SMS parts")
    expect(page.locator("#sms-parts")).to_have_class("error")
    page.click("#do-action")
    expect(page.locator("[role=status]")).to_contain_text("Not done: the question would need 4 SMS parts")
    expect(page.locator("#note")).to_have_value("🙏" * 60)
    assert refused_by_policy == []
    session.expire_all()
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []


def test_the_preview_says_it_is_unavailable_when_the_session_has_expired(site, page, routed_case, officer):
    from playwright.sync_api import expect

    grievance = routed_case()
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    page.select_option("#action", "ask")
    page.fill("#note", "Since which month?")
    expect(page.locator("#sms-parts")).to_have_text("2 of at most 2 SMS parts.")
    page.context.clear_cookies()  # signed out elsewhere, or idle too long: the server answers an HTML page
    page.fill("#note", "🙏" * 60)
    expect(page.locator("#sms-parts")).to_have_text("SMS preview unavailable. Reload the page.")
    expect(page.locator("#sms-parts")).to_have_class("error")
    expect(page.locator("#sms-text")).to_have_text("")  # no stale count or text left standing


def test_clearing_the_note_while_a_preview_is_on_its_way_keeps_it_hidden(site, page, routed_case, officer):
    from playwright.sync_api import expect

    grievance = routed_case()
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    held = []
    page.route("**/ask/preview", lambda route: held.append(route))  # answered only when the test lets it through
    page.select_option("#action", "ask")
    page.fill("#note", "Since which month?")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    page.fill("#note", "")
    page.wait_for_timeout(400)  # longer than the typing pause before the next preview
    expect(page.locator("#sms-preview")).to_be_hidden()
    with page.expect_response("**/ask/preview"):
        held[0].continue_()
    page.wait_for_timeout(300)  # time for the late answer to be read
    expect(page.locator("#sms-preview")).to_be_hidden()
    assert len(held) == 1  # nothing asked for an empty note
