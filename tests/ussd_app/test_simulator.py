"""The simulator: in a real browser (Playwright driving Debian's Chromium) and in a terminal."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading

import pytest

from foundation import screen_counts
from foundation.config import PROJECT_ROOT
from foundation.jobs import jobs_run_inline, redis_connection
from tests.helpers import drain, serving
from ussd_app.simulator import mint_session_id

MAIN_MENU = "আমি কি যোগ্য?"
RESUME_OFFER = "আগের জায়গা"
INBOUND_KEY = "simulator-test-inbound-key"
MENU_DIGIT = "[1১]"  # whichever digits the menu is numbered in


@pytest.fixture
def live_server(app):
    with serving(app) as base_url:
        yield base_url


@pytest.fixture
def kannel_to_simulator(app, live_server):
    """Kannel's inbound key set, and its sendsms played by the simulator, as in development."""
    saved = {name: app.config[name] for name in ("KANNEL_INBOUND_KEY", "KANNEL_SENDSMS_URL")}
    app.config.update(KANNEL_INBOUND_KEY=INBOUND_KEY, KANNEL_SENDSMS_URL=f"{live_server}/simulator/kannel/sendsms")
    yield live_server
    app.config.update(saved)


@pytest.fixture
def bdapps_to_simulator(app, live_server):
    """bdapps' send URL pointed at the simulator's receiver, as in development."""
    saved = app.config["BDAPPS_USSD_SEND_URL"]
    app.config["BDAPPS_USSD_SEND_URL"] = f"{live_server}/simulator/bdapps/send"
    yield live_server
    app.config["BDAPPS_USSD_SEND_URL"] = saved


def dropoffs(app) -> int:
    return sum(screen["dropoffs"] for screen in screen_counts.day(redis_connection(app), dt.date.today()).values())


class SimulatorPhone:
    """What the simulator page does, over the test client: minted ids, the real endpoint."""

    def __init__(self, client, number: str) -> None:
        self.client, self.number = client, number
        self.session_id, self.history = None, []

    def dial(self) -> str:
        self.session_id = self.client.post("/simulator/session", data={"gateway": "africastalking"}).json["sessionId"]
        self.history = []
        return self._hop()

    def press(self, key: str) -> str:
        self.history.append(key)
        return self._hop()

    def hang_up(self):
        return self.client.post("/simulator/hangup", data={"gateway": "africastalking", "sessionId": self.session_id})

    def _hop(self) -> str:
        form = {"sessionId": self.session_id, "serviceCode": "*123#", "phoneNumber": self.number}
        return self.client.post("/ussd/africastalking", data={**form, "text": "*".join(self.history)}).get_data(
            as_text=True
        )


@pytest.fixture
def sim_phone(client, caller):
    return SimulatorPhone(client, caller.mobile)


# -- hang-up ---------------------------------------------------------------------------------


def test_hang_up_ends_the_session_so_the_next_dial_gets_the_main_menu(app, sim_phone):
    sim_phone.dial()
    assert sim_phone.press("1").startswith("CON ")  # into the eligibility questions
    assert sim_phone.hang_up().status_code == 204
    assert dropoffs(app) == 1
    screen = sim_phone.dial()
    assert MAIN_MENU in screen and RESUME_OFFER not in screen


def test_a_dropped_session_still_offers_to_resume(app, sim_phone):
    sim_phone.dial()
    sim_phone.press("1")
    screen = sim_phone.dial()  # a new session without hanging up: the tab was closed
    assert RESUME_OFFER in screen


def test_hang_up_refuses_a_session_the_simulator_did_not_start(app, client, phone):
    phone.dial()
    phone.press("1")  # a gateway's session, its id guessed
    guessed = {"gateway": "africastalking", "sessionId": phone.session_id}
    assert client.post("/simulator/hangup", data=guessed).status_code == 403
    forged = {"gateway": "africastalking", "sessionId": "sim-0000000000000000.AAAAAAAAAAAAAAAAAAAAAA"}
    assert client.post("/simulator/hangup", data=forged).status_code == 403
    with app.app_context():
        other_gateway = {"gateway": "africastalking", "sessionId": mint_session_id("bdapps")}
    assert client.post("/simulator/hangup", data=other_gateway).status_code == 403
    assert client.post("/simulator/hangup", data={"gateway": "nope", "sessionId": "x"}).status_code == 400
    assert dropoffs(app) == 0
    assert RESUME_OFFER in phone.dial()  # the session was not touched


# -- SMS -------------------------------------------------------------------------------------


def test_sms_panel_sends_through_kannel_inbound_and_lists_the_reply(app, client, caller, kannel_to_simulator):
    response = client.post("/simulator/sms/send", data={"phone": caller.mobile, "text": "BALANCE"})
    assert response.status_code == 204
    drain(app)  # with real Redis a worker sends the reply
    received = client.post("/simulator/sms", data={"phone": caller.mobile}).json
    assert len(received["replies"]) == 1 and re.search("30|৩০", received["replies"][0])
    assert received["messages"] == []  # a reply goes back through Kannel, not the alerts provider


def test_simulated_sendsms_checks_kannels_credentials(app, client):
    query = {"username": app.config["KANNEL_USERNAME"], "password": "guess", "to": "+8801712345678", "text": "hi"}
    assert client.get("/simulator/kannel/sendsms", query_string=query).status_code == 403
    assert client.post("/simulator/sms", data={"phone": "+8801712345678"}).json["replies"] == []


def test_sms_panel_says_what_to_set_without_an_inbound_key(client, caller):
    response = client.post("/simulator/sms/send", data={"phone": caller.mobile, "text": "BALANCE"})
    assert response.status_code == 409 and "KANNEL_INBOUND_KEY" in response.json["error"]


def test_sms_panel_refuses_a_bad_phone_or_empty_text(client, kannel_to_simulator):
    assert client.post("/simulator/sms/send", data={"phone": "12", "text": "BALANCE"}).status_code == 400
    assert client.post("/simulator/sms/send", data={"phone": "01712345678", "text": " "}).status_code == 400


# -- bdapps ----------------------------------------------------------------------------------


def test_bdapps_receiver_checks_the_application_and_the_session(app, client):
    with app.app_context():
        minted = mint_session_id("bdapps")
    screen = {"applicationId": app.config["BDAPPS_APP_ID"], "password": "wrong", "sessionId": minted, "message": "x"}
    assert client.post("/simulator/bdapps/send", json=screen).status_code == 401
    screen["password"] = app.config["BDAPPS_APP_PASSWORD"]
    assert client.post("/simulator/bdapps/send", json={**screen, "sessionId": "bd-1"}).status_code == 403
    assert client.post("/simulator/bdapps/send", json=screen).status_code == 200
    shown = client.post("/simulator/bdapps/screen", data={"gateway": "bdapps", "sessionId": minted}).json["screen"]
    assert shown["message"] == "x" and "password" not in shown


def test_page_says_what_to_set_where_a_platform_is_not_played_by_the_simulator(client):
    page = client.get("/simulator").get_data(as_text=True)
    assert "BDAPPS_USSD_SEND_URL=http://localhost/simulator/bdapps/send" in page
    assert "KANNEL_SENDSMS_URL=http://localhost/simulator/kannel/sendsms" in page
    assert 'id="sms-hint"' in page


# -- the browser -----------------------------------------------------------------------------


def test_simulator_page_dials_hangs_up_and_sends_sms(app, live_server, browser, caller, kannel_to_simulator, tmp_path):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{live_server}/simulator")
    page.fill("#number", caller.mobile)
    page.click("#send")
    expect(page.locator("#screen")).to_contain_text(re.compile(f"সহায়তা\n{MENU_DIGIT} {MAIN_MENU}"))
    expect(page.locator("#budget")).to_have_text(re.compile(r"^\d+/80$"))
    page.click("[data-key='3']")
    page.click("#send")
    expect(page.locator("#screen")).to_contain_text("খাদ্যবান্ধব: ৩০ কেজি চাল")
    page.fill("#entry", "00")
    page.keyboard.press("Enter")
    expect(page.locator("#screen")).to_contain_text(MAIN_MENU)

    # Into the eligibility questions, then the red key: the server forgets the session.
    page.fill("#entry", "1")
    page.keyboard.press("Enter")
    expect(page.locator("#screen")).not_to_contain_text(MAIN_MENU)
    page.click("#hangup")
    expect(page.locator("#state")).to_have_text("idle")
    assert dropoffs(app) == 1
    page.click("#send")
    expect(page.locator("#screen")).to_contain_text(MAIN_MENU)
    expect(page.locator("#screen")).not_to_contain_text(RESUME_OFFER)

    # The SMS panel: through Kannel's inbound endpoint; the reply shows under the phone.
    page.fill("#sms-text", "BALANCE")
    page.click("#sms-send")
    expect(page.locator("#sms-status")).to_have_text("Sent.")
    if not jobs_run_inline(app):  # with real Redis a worker sends the SMS: be that worker
        drain(app)
        page.evaluate("refreshSms()")
    expect(page.locator("#sms-replies li", has_text=re.compile("30|৩০"))).to_have_count(1, timeout=10_000)
    page.screenshot(path=str(tmp_path / "simulator.png"))


def test_bdapps_mode_shows_romanized_ascii_screens(app, bdapps_to_simulator, browser, caller):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{bdapps_to_simulator}/simulator")
    page.fill("#number", caller.mobile)
    page.check("#bdapps")
    screens = []
    for key in (None, "1"):
        if key is not None:
            page.fill("#entry", key)
        page.click("#send")
        # With real Redis the screen is sent by a worker: be that worker while the page waits.
        screens.append(_settled_screen(app, page, after=screens[-1] if screens else "Dial"))
        expect(page.locator("#state")).to_have_text("waiting")
    assert screens[0].startswith("Sohayota\n1 Ami ki joggo?")
    assert all(screen.isascii() for screen in screens) and screens[1] != screens[0]
    expect(page.locator("#budget")).to_contain_text("ASCII · mt-cont")


def _settled_screen(app, page, after: str) -> str:
    for _ in range(100):
        drain(app)
        text = page.locator("#screen").text_content()
        if not text.startswith(after):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"the screen stayed {after!r}")


# -- the terminal ----------------------------------------------------------------------------


def test_terminal_dial_shows_screens_and_budget(cli, caller):
    result = cli.invoke(args=["ussd", "dial", caller.mobile], input="1\n0\n\n")
    assert result.exit_code == 0, result.output
    screens = result.output.split("---- [")
    assert len(screens) == 4  # main, eligibility, main again, then hang up
    assert re.match(r"\d+/80\] ----\nসহায়তা", screens[1])
    assert "যোগ্যতা: বাছুন" in screens[2]
    assert result.output.rstrip().endswith("(hung up)")


def test_terminal_empty_line_hangs_up_on_the_server(app, cli, caller):
    result = cli.invoke(args=["ussd", "dial", caller.mobile], input="1\n\n")
    assert result.output.rstrip().endswith("(hung up)")
    assert dropoffs(app) == 1
    again = cli.invoke(args=["ussd", "dial", caller.mobile], input="\n")
    assert MAIN_MENU in again.output and RESUME_OFFER not in again.output


def test_terminal_end_of_input_hangs_up_too(app, cli, caller):
    result = cli.invoke(args=["ussd", "dial", caller.mobile], input="1\n")
    assert result.exit_code == 0 and result.output.rstrip().endswith("(hung up)")
    assert dropoffs(app) == 1


def test_terminal_dial_as_bdapps_shows_romanized_ascii_screens(app, cli, caller, bdapps_to_simulator):
    # Embedded: the command serves its own receiver. With real Redis a worker (here: this
    # thread) sends the screens to the configured send URL, the running server's receiver.
    outcome = {}
    command = threading.Thread(
        target=lambda: outcome.update(
            result=cli.invoke(args=["ussd", "dial", "--gateway", "bdapps", caller.mobile], input="1\n\n")
        )
    )
    command.start()
    while command.is_alive():
        drain(app)
        command.join(timeout=0.1)
    result = outcome["result"]
    assert result.exit_code == 0, result.output
    screens = result.output.split("---- [")
    assert len(screens) == 3 and re.match(r"\d+ ASCII\] ----\nSohayota\n1 Ami ki joggo\?", screens[1])
    assert result.output.isascii()
    assert result.output.rstrip().endswith("(hung up)") and dropoffs(app) == 1


def test_terminal_dial_uses_the_configured_redis(app, caller, database_url, redis_url, real_redis):
    """A separate process (as `flask --app wsgi ussd dial` is) counts its hang-up in the
    Redis the server uses, so the server's simulator and monitoring see it."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SAHAYATA_ENV": "development"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "ussd", "dial", caller.mobile],
        input="1\n\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "(hung up)" in result.stdout
    assert dropoffs(app) == 1


def test_terminal_dial_rejects_a_foreign_number(cli):
    result = cli.invoke(args=["ussd", "dial", "+447911123456"])
    assert result.exit_code != 0 and "Bangladeshi" in result.output


def test_simulator_is_off_unless_enabled(app, client):
    app.config["SAHAYATA_SIMULATOR"] = False
    try:
        assert client.get("/simulator").status_code == 404
        assert client.get("/simulator/kannel/sendsms").status_code == 404
        for path in (
            "/simulator/sms",
            "/simulator/sms/send",
            "/simulator/session",
            "/simulator/hangup",
            "/simulator/bdapps/send",
            "/simulator/bdapps/screen",
        ):
            assert client.post(path, data={"phone": "01712345678"}).status_code == 404, path
    finally:
        app.config["SAHAYATA_SIMULATOR"] = True
