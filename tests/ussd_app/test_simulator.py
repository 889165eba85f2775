"""The simulator: in a real browser (Playwright driving Debian's Chromium) and in a terminal."""

import re
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def test_simulator_page_dials_through_the_real_endpoint(live_server, browser, caller, tmp_path):
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
