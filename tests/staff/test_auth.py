"""Signing in: hashed passwords, one answer for every refusal, a throttle per address and
account, sessions that end (sign-out, password change, idle), CSRF on every form, cookies."""

import re
import time

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select

from foundation.jobs import redis_connection
from staff.auth import FAILURES_PER_ADDRESS, LoginThrottle
from staff.cli import DEMO_PASSWORD
from staff.models import StaffAudit, StaffUser
from tests.factories import STAFF_PASSWORD, make_staff
from tests.staff.conftest import StaffClient

ATTACKER = {"REMOTE_ADDR": "198.51.100.7"}
OFFICE = {"REMOTE_ADDR": "203.0.113.20"}
LOGIN_ERROR = re.compile(r'<p class="error" id="login-error">([^<]*)</p>')


def sign_in(client: StaffClient, email: str, password: str, environ=None, lang: str | None = None):
    environ = environ or {}
    client.get("/staff/login", environ_base=environ)
    path = f"/staff/login?lang={lang}" if lang else "/staff/login"
    return client.post(path, {"email": email, "password": password}, environ_base=environ)


def login_error(response) -> str:
    found = LOGIN_ERROR.search(response.get_data(as_text=True))
    return found.group(1) if found else ""


def copy_of(client: StaffClient, app) -> StaffClient:
    """A second browser holding a copy of this one's session cookie (a stolen cookie)."""
    thief = StaffClient(app.test_client())
    thief.client.set_cookie("session", client.client.get_cookie("session").value)
    return thief


def audit_actions(session, user) -> list[str]:
    session.expire_all()
    return session.scalars(
        select(StaffAudit.action).where(StaffAudit.staff_id == user.id).order_by(StaffAudit.id)
    ).all()


def test_sign_in_and_out(staff_client, officer):
    client = staff_client()
    response = client.sign_in(officer)
    assert response.status_code == 302 and response.location.endswith("/staff/")
    assert client.get("/staff/").status_code == 200
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/").status_code == 302  # back to the sign-in page


def test_passwords_are_stored_as_scrypt_hashes(session, officer):
    assert officer.password_hash.startswith("scrypt:") and STAFF_PASSWORD not in officer.password_hash


def test_a_wrong_password_is_refused(staff_client, officer):
    response = staff_client().sign_in(officer, password="not the password")
    assert response.status_code == 401 and "ইমেইল বা পাসওয়ার্ড ভুল।" in response.get_data(as_text=True)  # Bangla by default


# Sign-in that tells nothing and locks nobody out on command


def test_one_answer_for_an_unknown_email_a_wrong_password_and_a_disabled_account(production_staff_client, session, cli):
    officer, disabled = make_staff(session), make_staff(session)
    session.commit()
    assert cli.invoke(args=["staff", "disable", disabled.email]).exit_code == 0
    client = production_staff_client()
    answers = [
        sign_in(client, "nobody@example.gov.bd", STAFF_PASSWORD),
        sign_in(client, officer.email, "not the password"),
        sign_in(client, disabled.email, STAFF_PASSWORD),  # the right password
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert {login_error(a) for a in answers} == {"ইমেইল বা পাসওয়ার্ড ভুল।"}
    assert audit_actions(session, officer) == ["login_failed"]
    assert audit_actions(session, disabled) == ["disabled", "login_refused_disabled"]
    unknown = session.scalars(select(StaffAudit.action).where(StaffAudit.staff_id.is_(None))).all()
    assert unknown == ["login_failed"]  # the same work: an audit row for an unknown email too


def test_the_throttle_answers_alike_for_real_and_unknown_emails(production_staff_client, officer):
    client = production_staff_client()
    for email in (officer.email, "nobody@example.gov.bd"):
        for _ in range(5):
            assert sign_in(client, email, "guess guess guess", ATTACKER).status_code == 401
        throttled = sign_in(client, email, "guess guess guess", ATTACKER, lang="en")
        assert throttled.status_code == 429
        assert login_error(throttled) == "Too many failed attempts. Wait 15 minutes and try again."
        assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60


def test_an_attacker_slows_only_themselves(production_staff_client, session, officer):
    attacker = production_staff_client()
    for _ in range(5):
        sign_in(attacker, officer.email, "guess guess guess", ATTACKER)
    # The attacker's next try, even with the right password, is refused unchecked ...
    assert sign_in(attacker, officer.email, STAFF_PASSWORD, ATTACKER).status_code == 429
    # ... while the officer signs in from her own office.
    own = production_staff_client()
    assert sign_in(own, officer.email, STAFF_PASSWORD, OFFICE).status_code == 302
    assert own.get("/staff/", environ_base=OFFICE).status_code == 200
    actions = audit_actions(session, officer)
    assert actions == ["login_failed"] * 5 + ["login"]  # the throttled try never reached the account
    assert "locked" not in " ".join(actions)


def test_a_made_up_forwarded_for_header_does_not_dodge_the_throttle(production_staff_client, officer):
    """No proxy hops are configured, so X-Forwarded-For is the client's own claim."""
    client = production_staff_client()
    for n in range(5):
        sign_in(client, officer.email, "guess guess guess", {**ATTACKER, "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"})
    dodge = {**ATTACKER, "HTTP_X_FORWARDED_FOR": "192.0.2.99"}
    assert sign_in(client, officer.email, STAFF_PASSWORD, dodge).status_code == 429


def test_a_successful_sign_in_forgets_that_address_and_accounts_failures(staff_client, officer):
    client = staff_client()
    for _ in range(4):
        client.sign_in(officer, password="typo typo typo")
    assert client.sign_in(officer).status_code == 302
    client.post("/staff/logout")
    for _ in range(4):
        assert client.sign_in(officer, password="typo typo typo").status_code == 401
    assert client.sign_in(officer).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(production_app, production_staff_client, officer):
    with production_app.app_context():
        for n in range(FAILURES_PER_ADDRESS):
            LoginThrottle(redis_connection(), ATTACKER["REMOTE_ADDR"], f"guess{n}@example.gov.bd").begin()
    client = production_staff_client()
    assert sign_in(client, officer.email, STAFF_PASSWORD, ATTACKER).status_code == 429
    assert sign_in(client, officer.email, STAFF_PASSWORD, OFFICE).status_code == 302


def test_concurrent_tries_get_no_more_password_checks_than_the_limit(production_app, session, officer):
    """Each try is counted before its password is checked, so tries in flight together
    cannot all slip under the limit."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(n: int) -> int:
        client = StaffClient(production_app.test_client())
        return sign_in(client, officer.email, f"guess number {n}", ATTACKER).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(24)))
    assert statuses.count(401) == 5 and statuses.count(429) == 19
    assert audit_actions(session, officer).count("login_failed") == 5


# Demo accounts


def test_demo_accounts_sign_in_in_development_only(staff_client, production_staff_client, cli, session):
    assert cli.invoke(args=["staff", "demo-accounts"]).exit_code == 0
    demo = session.scalar(select(StaffUser).where(StaffUser.email == "officer@demo.sahayata"))
    assert sign_in(staff_client(), demo.email, DEMO_PASSWORD).status_code == 302
    refused = sign_in(production_staff_client(), demo.email, DEMO_PASSWORD)
    assert refused.status_code == 401 and login_error(refused) == "ইমেইল বা পাসওয়ার্ড ভুল।"
    assert audit_actions(session, demo) == ["login", "login_refused_demo"]


def test_any_account_with_the_public_demo_password_is_refused_in_production(production_staff_client, session, cli):
    user = make_staff(session)
    session.commit()
    assert cli.invoke(args=["staff", "reset-password", user.email, "--password", DEMO_PASSWORD]).exit_code == 0
    assert sign_in(production_staff_client(), user.email, DEMO_PASSWORD).status_code == 401


# Sessions that end


def test_signing_out_ends_a_copied_session_cookie(production_app, production_staff_client, officer):
    browser = production_staff_client(officer)
    thief = copy_of(browser, production_app)
    assert thief.get("/staff/").status_code == 200  # a stolen cookie works while she is signed in
    assert browser.post("/staff/logout").status_code == 302
    assert thief.get("/staff/").status_code == 302


def test_signing_out_ends_every_session_of_the_account(production_staff_client, officer):
    office, phone = production_staff_client(officer), production_staff_client(officer, environ=OFFICE)
    office.post("/staff/logout")
    assert phone.get("/staff/", environ_base=OFFICE).status_code == 302


def test_a_remember_me_cookie_signs_nobody_in(production_app, officer):
    """Sign-in never sets one, so one that turns up was made elsewhere or is left over."""
    with production_app.test_request_context():
        forged = encode_cookie(officer.get_id())
    client = StaffClient(production_app.test_client())
    client.client.set_cookie("remember_token", forged)
    assert client.get("/staff/").status_code == 302


def test_changing_the_password_ends_every_other_session(production_app, production_staff_client, session, officer):
    browser = production_staff_client(officer)
    thief = copy_of(browser, production_app)
    browser.get("/staff/password")
    new = "a much longer new secret"
    fields = {"current_password": STAFF_PASSWORD, "new_password": new, "new_password_again": new}
    changed = browser.post("/staff/password", fields)
    assert changed.status_code == 302
    assert browser.get("/staff/").status_code == 200  # this browser carries on
    assert thief.get("/staff/").status_code == 302
    assert sign_in(production_staff_client(), officer.email, STAFF_PASSWORD).status_code == 401
    assert sign_in(production_staff_client(), officer.email, new).status_code == 302
    assert "password_changed" in audit_actions(session, officer)


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("not the password", "a much longer new secret", "a much longer new secret", "The current password is wrong."),
        (STAFF_PASSWORD, "too short", "too short", "The new password needs at least 12 characters."),
        (STAFF_PASSWORD, "a much longer new secret", "a much longer new secreT", "The two new passwords differ."),
    ],
)
def test_a_password_change_that_is_refused_changes_nothing(
    staff_client, session, officer, current, new, again, message
):
    client = staff_client(officer)  # an English-speaking officer
    client.get("/staff/password")
    fields = {"current_password": current, "new_password": new, "new_password_again": again}
    refused = client.post("/staff/password", fields)
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert client.get("/staff/").status_code == 200
    session.expire_all()
    assert session.get(StaffUser, officer.id).password_hash == officer.password_hash


def test_the_password_length_is_told_in_bengali_digits_on_a_bangla_page(staff_client, session):
    officer = make_staff(session, language="bn")
    session.commit()
    client = staff_client(officer)
    client.get("/staff/password")
    fields = {"current_password": STAFF_PASSWORD, "new_password": "short", "new_password_again": "short"}
    assert "১২" in client.post("/staff/password", fields).get_data(as_text=True)


def test_guessing_the_current_password_is_throttled(staff_client, officer):
    client = staff_client(officer)
    client.get("/staff/password")
    fields = {"current_password": "guess guess guess", "new_password": "x" * 12, "new_password_again": "x" * 12}
    assert [client.post("/staff/password", fields).status_code for _ in range(6)] == [400] * 5 + [429]


def test_the_password_page_needs_a_session(staff_client):
    assert staff_client().get("/staff/password").status_code == 302


def _backdate_last_use(client: StaffClient, minutes: int) -> None:
    with client.client.session_transaction() as cookie_session:
        cookie_session["staff_seen"] = int(time.time()) - minutes * 60


def test_an_idle_session_is_signed_out(production_staff_client, officer):
    client = production_staff_client(officer)
    _backdate_last_use(client, 479)
    assert client.get("/staff/").status_code == 200  # and that use restarts the clock
    _backdate_last_use(client, 481)  # the default lifetime is 8 hours
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert client.get("/staff/").status_code == 302  # signed out, not just redirected once


def test_the_idle_lifetime_is_a_setting(make_production_app, officer):
    app = make_production_app(SAHAYATA_STAFF_IDLE_MINUTES="5")
    client = StaffClient(app.test_client())
    assert sign_in(client, officer.email, STAFF_PASSWORD).status_code == 302
    _backdate_last_use(client, 4)
    assert client.get("/staff/").status_code == 200
    _backdate_last_use(client, 6)
    assert client.get("/staff/").status_code == 302


def test_a_session_in_use_has_its_clock_restarted(production_staff_client, officer):
    client = production_staff_client(officer)
    _backdate_last_use(client, 30)
    client.get("/staff/")
    with client.client.session_transaction() as cookie_session:
        assert time.time() - cookie_session["staff_seen"] < 60


# Forms and cookies


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(staff_client, session, officer):
    client = staff_client(officer)
    response = client.post("/staff/language", {"language": "bn"}, token=False)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(StaffUser, officer.id).language == "en"
    assert client.post("/staff/language", {"language": "bn"}).status_code == 302
    session.expire_all()
    assert session.get(StaffUser, officer.id).language == "bn"


def test_session_cookie_is_http_only_and_same_site(staff_client, officer):
    client = staff_client()
    response = client.sign_in(officer)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_each_user_works_in_their_own_language(staff_client, session, officer):
    client = staff_client(officer)
    assert "Sign out" in client.get("/staff/").get_data(as_text=True)
    client.post("/staff/language", {"language": "bn"})
    assert "বের হোন" in client.get("/staff/").get_data(as_text=True)


def test_signing_out_still_clears_the_remember_me_cookie(staff_client, officer):
    client = staff_client(officer)
    client.client.set_cookie("remember_token", "left by an older sign-in")
    response = client.post("/staff/logout")
    assert response.status_code == 302
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]


def test_with_redis_down_sign_in_is_a_polite_503_not_a_500(database_url, session, officer):
    from sahayata.app import create_app

    down = create_app({"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = sign_in(StaffClient(down.test_client()), officer.email, "wrong-password")
    assert response.status_code == 503
    assert "সেবাটি" in response.get_data(as_text=True)  # the staff error page, in the default Bangla


def test_the_language_switch_returns_only_to_a_staff_page_of_this_site(staff_client, officer):
    client = staff_client(officer)
    elsewhere = client.post("/staff/language", {"language": "en"}, headers={"Referer": "https://evil.example/phish"})
    assert elsewhere.status_code == 302 and elsewhere.headers["Location"] == "/staff/"
    back = client.post("/staff/language", {"language": "bn"}, headers={"Referer": "http://localhost/staff/?page=2"})
    assert back.headers["Location"] == "/staff/?page=2"


def test_a_new_password_of_control_characters_is_refused_on_the_page(staff_client, officer):
    client = staff_client(officer)
    client.get("/staff/password?lang=en")
    form = {"current_password": STAFF_PASSWORD, "new_password": "\x00" * 12, "new_password_again": "\x00" * 12}
    response = client.post("/staff/password?lang=en", form)
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)


def test_a_success_after_the_window_ended_leaves_no_counter_without_an_expiry(production_app, officer):
    with production_app.app_context():
        throttle = LoginThrottle(redis_connection(), ATTACKER["REMOTE_ADDR"], officer.email)
        assert throttle.begin() == 0
        redis = redis_connection()
        address_key = throttle.limits[1][0]
        redis.delete(address_key)  # the window ran out between the try and its success
        throttle.succeeded()
        assert 0 < redis.ttl(address_key) <= 15 * 60
