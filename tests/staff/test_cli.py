"""The `flask --app wsgi staff ...` commands: accounts created, disabled, enabled, their
passwords reset (each ending every session of the account), demo accounts in development only."""

from sqlalchemy import select

from staff.models import StaffUser
from tests.factories import STAFF_PASSWORD
from tests.staff.test_auth import audit_actions, sign_in


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


def test_demo_accounts_command_refused_in_production_mode_only(app, production_app, cli, session):
    result = cli.invoke(args=["staff", "demo-accounts"])
    assert result.exit_code == 0 and "officer@demo.sahayata" in result.output
    again = cli.invoke(args=["staff", "demo-accounts"])
    assert again.exit_code == 0 and "demo complaints" not in again.output  # idempotent
    with production_app.app_context():  # the command runs in the innermost app context
        refused = production_app.test_cli_runner().invoke(args=["staff", "demo-accounts"])
    assert refused.exit_code != 0 and "production mode" in refused.output
    # A developer's own key does not make a deployment: production mode does.
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-developers-own-key"
    try:
        assert cli.invoke(args=["staff", "demo-accounts"]).exit_code == 0
    finally:
        app.config["SECRET_KEY"] = saved


def test_disabling_an_account_ends_its_sessions_and_refuses_sign_in(production_staff_client, cli, session, officer):
    browser = production_staff_client(officer)
    result = cli.invoke(args=["staff", "disable", officer.email.upper()])
    assert result.exit_code == 0, result.output
    assert browser.get("/staff/").status_code == 302
    assert sign_in(production_staff_client(), officer.email, STAFF_PASSWORD).status_code == 401
    assert cli.invoke(args=["staff", "enable", officer.email]).exit_code == 0
    assert sign_in(production_staff_client(), officer.email, STAFF_PASSWORD).status_code == 302
    assert audit_actions(session, officer) == ["login", "disabled", "login_refused_disabled", "enabled", "login"]


def test_reset_password_ends_every_session(production_staff_client, cli, session, officer):
    browser = production_staff_client(officer)
    result = cli.invoke(args=["staff", "reset-password", officer.email, "--password", "a brand new secret"])
    assert result.exit_code == 0, result.output
    assert browser.get("/staff/").status_code == 302
    assert sign_in(production_staff_client(), officer.email, "a brand new secret").status_code == 302
    short = cli.invoke(args=["staff", "reset-password", officer.email, "--password", "short"])
    assert short.exit_code != 0 and "12 characters" in short.output


def test_the_commands_name_an_unknown_email(cli):
    for command in ("disable", "enable"):
        result = cli.invoke(args=["staff", command, "nobody@example.gov.bd"])
        assert result.exit_code != 0 and "no account for nobody@example.gov.bd" in result.output


def test_a_password_of_control_characters_is_refused(cli, officer):
    result = cli.invoke(args=["staff", "reset-password", officer.email, "--password", "\x00" * 12])
    assert result.exit_code != 0 and "control characters" in result.output


def test_staff_create_takes_any_spelling_of_a_district(cli, session):
    args = ["staff", "create", "--role", "officer", "--ministry", "mosw", "--password", "a very long secret"]
    result = cli.invoke(args=[*args, "--email", "a@mosw.gov.bd", "--district", "Jessore", "--district", "BD5585"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(StaffUser).where(StaffUser.email == "a@mosw.gov.bd"))
    from registry.models import District

    assert sorted(session.get(District, i).name_en for i in user.district_ids) == ["Jashore", "Rangpur"]
    typo = cli.invoke(args=[*args, "--email", "b@mosw.gov.bd", "--district", "Jexore Zila"])
    assert typo.exit_code != 0 and "did you mean Jashore" in typo.output


def test_staff_create_says_which_district_and_refuses_a_number_that_could_be_two(cli, session):
    args = ["staff", "create", "--role", "officer", "--ministry", "mosw", "--password", "a very long secret"]
    result = cli.invoke(args=[*args, "--email", "c@mosw.gov.bd", "--district", "Jessore", "--district", "BD5585"])
    assert result.exit_code == 0 and "created for Jashore, Rangpur" in result.output, result.output
    # 19 is our code for Naogaon and the BBS code of Cumilla: the officer would see the wrong one.
    for code in ("19", "04", "০৪"):
        refused = cli.invoke(args=[*args, "--email", "d@mosw.gov.bd", "--district", code])
        assert refused.exit_code != 0 and "ambiguous" in refused.output, code
    assert "BBS code of Cumilla" in cli.invoke(args=[*args, "--email", "d@mosw.gov.bd", "--district", "19"]).output
    assert session.scalar(select(StaffUser).where(StaffUser.email == "d@mosw.gov.bd")) is None


def _created(session, email):
    return session.scalar(select(StaffUser).where(StaffUser.email == email))


OFFICER = ["staff", "create", "--role", "officer", "--ministry", "mosw", "--password", "a very long secret"]


def test_staff_create_limits_an_officer_to_upazilas_by_name_code_geocode_or_district_and_name(cli, session):
    from registry.models import Upazila

    given = ["Pirgachha", "BD20190040", "Gazipur/Kaliganj", "উখিয়া", "2"]  # BBS spelling, geo-code, ..., our code
    result = cli.invoke(args=[*OFFICER, "--email", "u@mosw.gov.bd", *(f"--upazila={u}" for u in given)])
    assert result.exit_code == 0, result.output
    user = _created(session, "u@mosw.gov.bd")
    places = [(session.get(Upazila, i).district.name_en, session.get(Upazila, i).name_en) for i in user.upazila_ids]
    assert places == [
        ("Rangpur", "Pirgacha"),
        ("Cumilla", "Debidwar"),
        ("Gazipur", "Kaliganj"),
        ("Coxsbazar", "Ukhiya"),
        ("Cumilla", "Barura"),
    ]
    assert user.district_ids == []
    # The command says where the officer works, as District/Upazila.
    assert (
        "officer u@mosw.gov.bd created for upazilas Rangpur/Pirgacha, Cumilla/Debidwar, Gazipur/Kaliganj, "
        "Coxsbazar/Ukhiya, Cumilla/Barura" in result.output
    )


def test_staff_create_refuses_an_upazila_name_several_districts_have_naming_them(cli, session):
    refused = cli.invoke(args=[*OFFICER, "--email", "k@mosw.gov.bd", "--upazila", "Kaliganj"])
    assert refused.exit_code != 0 and "ambiguous" in refused.output
    for candidate in ("Satkhira/Kaliganj", "Jhenaidah/Kaliganj", "Gazipur/Kaliganj", "Lalmonirhat/Kaliganj"):
        assert candidate in refused.output
    assert "write District/Upazila or the geo-code" in refused.output
    # "Sadar" is in most districts: the first few, and how many more.
    sadar = cli.invoke(args=[*OFFICER, "--email", "k@mosw.gov.bd", "--upazila", "Sadar"])
    assert sadar.exit_code != 0 and "Cumilla/Comilla Sadar" in sadar.output and " more)" in sadar.output
    typo = cli.invoke(args=[*OFFICER, "--email", "k@mosw.gov.bd", "--upazila", "Pirgaxxa"])
    assert typo.exit_code != 0 and "did you mean Rangpur/Pirgacha" in typo.output
    wrong_district = cli.invoke(args=[*OFFICER, "--email", "k@mosw.gov.bd", "--upazila", "Cumilla/Kaliganj"])
    assert wrong_district.exit_code != 0 and "unknown upazila 'Kaliganj' in Cumilla" in wrong_district.output
    padded = cli.invoke(args=[*OFFICER, "--email", "k@mosw.gov.bd", "--upazila", "01"])
    assert padded.exit_code != 0 and "the code of Cumilla/Debidwar is written 1" in padded.output
    assert _created(session, "k@mosw.gov.bd") is None


def test_staff_create_with_districts_and_upazilas_gives_the_districts_wholly_plus_the_upazilas(cli, session):
    result = cli.invoke(
        args=[*OFFICER, "--email", "b@mosw.gov.bd", "--district", "Dhaka", "--upazila", "Rangpur/Pirgachha"]
    )
    assert result.exit_code == 0, result.output
    assert "created for Dhaka and upazilas Rangpur/Pirgacha" in result.output
    user = _created(session, "b@mosw.gov.bd")
    assert len(user.district_ids) == 1 and len(user.upazila_ids) == 1
    # An upazila of a district given wholly adds nothing: refused, so the account says what it means.
    inside = cli.invoke(args=[*OFFICER, "--email", "c@mosw.gov.bd", "--district", "Rangpur", "--upazila", "Pirgachha"])
    assert inside.exit_code != 0 and "Rangpur/Pirgacha is in a district given wholly" in inside.output
    assert _created(session, "c@mosw.gov.bd") is None
    # Two spellings of one upazila are one limit.
    twice = cli.invoke(args=[*OFFICER, "--email", "d@mosw.gov.bd", "--upazila", "Pirgachha", "--upazila", "পীরগাছা"])
    assert twice.exit_code == 0 and len(_created(session, "d@mosw.gov.bd").upazila_ids) == 1
    # The help says what the combination means.
    help_text = " ".join(cli.invoke(args=["staff", "create", "--help"]).output.split())
    assert "the officer sees the listed districts wholly plus the listed upazilas" in help_text


def test_staff_create_says_an_unlimited_officer_has_the_whole_ministry_and_limits_officers_only(cli, session):
    result = cli.invoke(args=[*OFFICER, "--email", "all@mosw.gov.bd"])
    assert result.exit_code == 0 and "officer all@mosw.gov.bd created for all of MOSW" in result.output
    gro = ["staff", "create", "--role", "gro", "--ministry", "mosw", "--password", "a very long secret"]
    refused = cli.invoke(args=[*gro, "--email", "gro@mosw.gov.bd", "--upazila", "Pirgachha"])
    assert refused.exit_code != 0 and "only an officer is limited to districts or upazilas, not a gro" in refused.output
    assert _created(session, "gro@mosw.gov.bd") is None
