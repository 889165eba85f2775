"""Signing in: hashed passwords, lockout, CSRF on every form, cookies."""

from sqlalchemy import select

from staff.models import StaffAudit, StaffUser
from tests.factories import STAFF_PASSWORD


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


def test_five_failures_lock_the_account_even_for_the_right_password(staff_client, session, officer):
    client = staff_client()
    for _ in range(5):
        client.sign_in(officer, password="guess guess guess")
    response = client.sign_in(officer)
    assert response.status_code == 401 and "১৫ মিনিটের জন্য বন্ধ" in response.get_data(as_text=True)
    actions = session.scalars(select(StaffAudit.action).where(StaffAudit.staff_id == officer.id)).all()
    assert actions.count("login_failed") == 4 and "login_locked" in actions and "login_refused_locked" in actions


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


def test_the_staff_create_command(cli, session):
    args = ["staff", "create", "--email", "Rina@MOSW.gov.bd", "--role", "officer", "--ministry", "mosw"]
    result = cli.invoke(args=[*args, "--district", "Cumilla", "--password", "a very long secret"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(StaffUser).where(StaffUser.email == "rina@mosw.gov.bd"))
    assert user.ministry_code == "MOSW" and len(user.district_ids) == 1
    short = cli.invoke(args=["staff", "create", "--email", "x@y.bd", "--role", "admin", "--password", "short"])
    assert short.exit_code != 0 and "12 characters" in short.output
    nowhere = cli.invoke(args=["staff", "create", "--email", "z@y.bd", "--role", "officer", "--password", "a" * 12])
    assert nowhere.exit_code != 0 and "--ministry" in nowhere.output


def test_each_user_works_in_their_own_language(staff_client, session, officer):
    client = staff_client(officer)
    assert "Sign out" in client.get("/staff/").get_data(as_text=True)
    client.post("/staff/language", {"language": "bn"})
    assert "বের হোন" in client.get("/staff/").get_data(as_text=True)


def test_demo_accounts_only_without_a_real_secret_key(app, cli, session):
    result = cli.invoke(args=["staff", "demo-accounts"])
    assert result.exit_code == 0 and "officer@demo.sahayata" in result.output
    again = cli.invoke(args=["staff", "demo-accounts"])
    assert again.exit_code == 0 and "demo complaints" not in again.output  # idempotent
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-real-deployment-key"
    try:
        refused = cli.invoke(args=["staff", "demo-accounts"])
    finally:
        app.config["SECRET_KEY"] = saved
    assert refused.exit_code != 0 and "deployment" in refused.output


def test_signing_out_still_clears_the_remember_me_cookie(staff_client, officer):
    client = staff_client(officer)
    client.client.set_cookie("remember_token", "left by an older sign-in")
    response = client.post("/staff/logout")
    assert response.status_code == 302
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]


def test_a_ussd_hop_runs_no_sign_in_hooks(client):
    # Flask-Login's cookie hook reads the session, which would mark the reply Vary: Cookie.
    hop = {"sessionId": "hooks1", "phoneNumber": "+8801712345678", "text": ""}
    response = client.post("/ussd/africastalking", data=hop)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
