"""The simulator: in a real browser (Playwright driving Debian's Chromium) and in a terminal."""

import re

import pytest

from sahayata.jobs import jobs_run_inline
from tests.helpers import drain, serving


@pytest.fixture
def live_server(app):
    with serving(app) as base_url:
        yield base_url


def test_simulator_page_dials_through_the_real_endpoint(app, live_server, browser, caller, tmp_path):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{live_server}/simulator")
    page.fill("#number", caller.mobile)
    page.click("#send")
    expect(page.locator("#screen")).to_contain_text("সহায়তা\n1 আমি কি যোগ্য?")
    expect(page.locator("#budget")).to_have_text(re.compile(r"^\d+/80$"))
    page.click("[data-key='3']")
    page.click("#send")
    expect(page.locator("#screen")).to_contain_text("খাদ্যবান্ধব: ৩০ কেজি চাল")
    page.fill("#entry", "00")
    page.keyboard.press("Enter")
    expect(page.locator("#screen")).to_contain_text("1 আমি কি যোগ্য?")
    for key in ("4", "1", "2", "1", "1"):  # a complaint: the "received" SMS shows under the phone
        page.fill("#entry", key)
        page.keyboard.press("Enter")
        page.wait_for_timeout(100)
    expect(page.locator("#screen")).to_contain_text("অভিযোগ গৃহীত")
    if not jobs_run_inline(app):  # with real Redis a worker sends the SMS: be that worker
        for _ in range(3):
            drain(app)
        page.evaluate("refreshSms()")
    expect(page.locator("#sms li", has_text="গৃহীত হয়েছে")).to_have_count(1, timeout=10_000)
    page.screenshot(path=str(tmp_path / "simulator.png"))
    page.click("#hangup")
    expect(page.locator("#state")).to_have_text("idle")


def test_terminal_dial_shows_screens_and_budget(cli, caller):
    result = cli.invoke(args=["ussd", "dial", caller.mobile], input="1\n0\n\n")
    assert result.exit_code == 0, result.output
    screens = result.output.split("---- [")
    assert len(screens) == 4  # main, eligibility, main again, then hang up
    assert re.match(r"\d+/80\] ----\nসহায়তা", screens[1])
    assert "যোগ্যতা: বাছুন" in screens[2]
    assert result.output.rstrip().endswith("(hung up)")


def test_terminal_dial_rejects_a_foreign_number(cli):
    result = cli.invoke(args=["ussd", "dial", "+447911123456"])
    assert result.exit_code != 0 and "Bangladeshi" in result.output


def test_simulator_is_off_unless_enabled(app, client):
    app.config["SAHAYATA_SIMULATOR"] = False
    try:
        assert client.get("/simulator").status_code == 404
        assert client.post("/simulator/sms", data={"phone": "01712345678"}).status_code == 404
    finally:
        app.config["SAHAYATA_SIMULATOR"] = True
