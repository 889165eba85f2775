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


@pytest.mark.parametrize(
    ("language", "digits", "found_word"),
    [("bn", str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"), "খুঁজুন"), ("en", str.maketrans("", ""), "Search")],
)
def test_type_a_tracking_number_into_the_box_and_land_on_its_row(
    site, page, session, routed_case, language, digits, found_word
):
    from playwright.sync_api import expect

    wanted = routed_case(category=Category.WRONG_DATA)
    others = [routed_case(category=c) for c in (Category.AMOUNT_SHORT, Category.EXCLUDED)]
    officer = make_staff(session, "officer", language=language)
    session.commit()
    sign_in(page, site, officer)
    rows = page.locator("#queue tr[data-number]")
    expect(rows).to_have_count(3)
    expect(page.locator("#search")).to_have_text(found_word)
    page.fill("#q", wanted.tracking_number.translate(digits))  # as a Bangla keyboard types it
    page.press("#q", "Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-number", wanted.tracking_number)
    shown = wanted.tracking_number.translate(digits)  # in the page's digits
    page.click(f"#queue a:text-is('{shown}')")
    expect(page.locator("#tracking-number")).to_have_text(shown)
    assert all(g.tracking_number not in page.content() for g in others)


def counted_on_the_page(page, texts, billing):
    return page.evaluate("([texts, billing]) => texts.map((t) => SahayataSms.count(t, billing))", [texts, billing])


@pytest.mark.parametrize("billing", ["standard", "twilio"])
def test_the_page_counts_sms_parts_as_the_server_does(site, page, routed_case, officer, billing):
    """The case page's own count (staff/static/sms_parts.js) against outbound_sms.encoding, on
    texts of every kind near the part boundaries: GSM-7 with extension characters, Bangla
    with conjuncts, emoji with modifiers."""
    from foundation.gsm7 import GSM7_BASIC, GSM7_EXTENSION
    from outbound_sms.encoding import Billing, count_parts
    from tests.staff.test_cases import emoji_questions

    grievance = routed_case()
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    basic, extension = "".join(sorted(GSM7_BASIC)), "".join(sorted(GSM7_EXTENSION))
    texts = [
        *emoji_questions(120),
        *((basic * 2)[:n] for n in (150, 160, 161, 306, 307)),
        *("a" * n + extension[i % len(extension)] for i, n in enumerate(range(150, 162))),
        *("ক" * n + "ক্ষ" + "ক" * 20 for n in range(40, 70)),
        *(("আমার ভাতা জুলাই থেকে বন্ধ " * 6)[:n] for n in (69, 70, 71, 134, 135)),
        "",
    ]
    expected = [count_parts(t, Billing(billing)) for t in texts]
    counted = counted_on_the_page(page, texts, billing)
    assert [(c["encoding"], c["units"], c["parts"]) for c in counted] == [
        (e.encoding, e.units, e.segments) for e in expected
    ]


def test_a_bangla_text_shows_its_parts_while_typed_before_the_server_answers(
    app, site, page, session, routed_case, officer
):
    from playwright.sync_api import expect

    from outbound_sms.encoding import count_parts
    from staff import cases

    refused_by_policy = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused_by_policy.append(m.text))
    grievance = routed_case()  # the citizen reads Bangla: the whole SMS is UCS-2
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    held = []
    page.route("**/preview", lambda route: held.append(route))  # the server's count waits
    page.select_option("#action", "ask")
    words = "আমার ভাতা জুলাই থেকে বন্ধ আছে, ইউনিয়ন অফিসে গিয়েছিলাম " * 3

    def shown_for(typed):
        whole = count_parts(cases.preview_question(grievance, typed).text)
        line = f"Your text: {len(typed)} units. The whole SMS: {whole.units} units (UCS-2), "
        line += f"{whole.segments} SMS part(s)."
        return line + (" Too long: at most 2 SMS parts may be sent." if whole.segments > 2 else "")

    page.fill("#note", words[:69])
    expect(page.locator("#sms-count")).to_have_text(shown_for(words[:69]))
    page.locator("#note").press_sequentially(words[69:73])  # typed on: the text crosses 70 units
    expect(page.locator("#sms-count")).to_have_text(shown_for(words[:73]))
    expect(page.locator("#sms-count")).to_have_class("error")
    assert count_parts(words[:73]).segments == 2 and count_parts(words[:69]).segments == 1
    expect(page.locator("#sms-parts")).to_have_text("")  # nothing from the server yet
    for route in held:
        route.continue_()
    page.unroute("**/preview")
    page.locator("#note").press_sequentially(" ")  # the server's count arrives for the text as it stands
    parts = count_parts(cases.preview_question(grievance, words[:73] + " ").text).segments
    expect(page.locator("#sms-parts")).to_contain_text(f"would need {parts} SMS parts")

    # A resolution's note: never refused, cut to fit, as the server shows.
    page.select_option("#action", "resolve")
    page.fill("#note", words * 2)
    expect(page.locator("#sms-count")).to_contain_text("The note will be shortened to fit 2 SMS parts.")
    expect(page.locator("#sms-parts")).to_have_text("2 of at most 2 SMS parts: the note is shortened to fit.")
    expect(page.locator("#sms-text")).to_have_text(cases.preview_resolution(grievance, words * 2).text)
    expect(page.locator("#sms-text")).to_contain_text("সমাধান হয়েছে কি? হ্যাঁ হলে ১, না হলে ২ পাঠান।")
    assert refused_by_policy == []


def test_the_count_is_in_bengali_digits_on_a_bangla_page(site, page, session, routed_case):
    from playwright.sync_api import expect

    grievance = routed_case()
    officer = make_staff(session, "officer", language="bn")
    session.commit()
    sign_in(page, site, officer)
    page.goto(f"{site}/staff/cases/{grievance.tracking_number}")
    page.select_option("#action", "ask")
    page.fill("#note", "কবে থেকে?")
    expect(page.locator("#sms-count")).to_contain_text("আপনার লেখা: ৯ ইউনিট")
    expect(page.locator("#sms-count")).not_to_contain_text("9")
