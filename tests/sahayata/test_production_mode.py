"""One production switch: SECRET_KEY or SAHAYATA_ENV=production; nothing unsafe starts."""

import os
import subprocess
import sys

import pytest

from foundation.config import DEV_SECRET_KEY, PROJECT_ROOT, UnsafeStart, is_production, settings_from_env
from sahayata.app import create_app


def test_a_secret_key_means_production():
    assert is_production(settings_from_env({"SECRET_KEY": "k"}))
    assert is_production(settings_from_env({"SAHAYATA_ENV": "production", "SECRET_KEY": "k"}))
    assert not is_production(settings_from_env({}))
    assert not is_production(settings_from_env({"SAHAYATA_ENV": "development"}))


def test_production_never_falls_back_to_the_development_key():
    settings = settings_from_env({"SAHAYATA_ENV": "production"})
    assert settings["SECRET_KEY"] != DEV_SECRET_KEY
    with pytest.raises(UnsafeStart, match="SECRET_KEY"):
        create_app(env={"SAHAYATA_ENV": "production"})


def test_the_development_key_set_by_hand_is_refused_in_production():
    with pytest.raises(UnsafeStart, match="SECRET_KEY"):
        create_app(env={"SECRET_KEY": DEV_SECRET_KEY})


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test"},
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
    ],
)
def test_a_deployment_without_a_key_refuses_to_start(env):
    with pytest.raises(UnsafeStart, match="SECRET_KEY"):
        create_app(env=env)


def test_an_explicit_development_machine_may_use_postgresql_without_a_key(database_url):
    made = create_app({"DATABASE_URL": database_url}, env={"SAHAYATA_ENV": "development"})
    assert not is_production(made.config)
    assert made.config["SECRET_KEY"] == DEV_SECRET_KEY


def test_a_short_key_is_refused_in_production():
    with pytest.raises(UnsafeStart, match="too short"):
        create_app(env={"SECRET_KEY": "x" * 31})


@pytest.mark.parametrize(
    "extra",
    [
        {"SECRET_KEY_FALLBACKS": DEV_SECRET_KEY},
        {"SECRET_KEY_FALLBACKS": "old"},
        {"SAHAYATA_PHONE_HASH_KEY": "short"},
        {"SAHAYATA_PHONE_HASH_KEY": "p" * 40, "SAHAYATA_PHONE_HASH_KEY_PREVIOUS": "x"},
    ],
)
def test_a_public_or_short_fallback_or_phone_key_is_refused_in_production(extra):
    with pytest.raises(UnsafeStart, match="too short or public"):
        create_app(env={"SECRET_KEY": "k" * 40, **extra})


def test_an_unknown_mode_is_refused():
    with pytest.raises(UnsafeStart, match="SAHAYATA_ENV"):
        settings_from_env({"SAHAYATA_ENV": "prod"})


def test_wsgi_refuses_in_one_line_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SAHAYATA_ENV")}
    env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 4
    last = done.stderr.strip().splitlines()
    assert len(last) == 1 and "SECRET_KEY" in last[0] and "Traceback" not in done.stderr


def test_gunicorn_stops_instead_of_restarting_a_refused_worker(tmp_path):
    from tests.helpers import free_port

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SAHAYATA_ENV")}
    env["SAHAYATA_ENV"] = "production"  # and no key
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1", "wsgi:app"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("sahayata: not starting: production mode needs SECRET_KEY") == 1


def test_production_defaults(production_app):
    config = production_app.config
    assert is_production(config)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert not config["SAHAYATA_SIMULATOR"]
    assert config["MAX_CONTENT_LENGTH"] == 16 * 1024


def test_the_simulator_stays_off_in_production_even_when_asked(make_production_app):
    made = make_production_app(SAHAYATA_SIMULATOR="1")
    assert made.test_client().get("/simulator").status_code == 404


def test_production_on_the_embedded_redis_says_what_it_forgets(database_url, caplog):
    create_app({"DATABASE_URL": database_url, "REDIS_URL": None}, env={"SECRET_KEY": "k" * 40})
    assert "REDIS_URL is unset" in caplog.text and "sign-in throttles" in caplog.text
