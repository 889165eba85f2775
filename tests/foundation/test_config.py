import pytest

from foundation.config import DEFAULT_SQLITE_PATH, DEV_SECRET_KEY, UnsafeStart, settings_from_env


def test_embedded_defaults_when_nothing_is_set():
    settings = settings_from_env({})
    assert settings["DATABASE_URL"] == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert settings["REDIS_URL"] is None
    assert settings["SECRET_KEY"] == DEV_SECRET_KEY
    assert settings["SAHAYATA_DEFAULT_LOCALE"] == "bn"


def test_environment_overrides_defaults():
    settings = settings_from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "REDIS_URL": "redis://h:6379/2",
            "SECRET_KEY": "s3cret",
            "SAHAYATA_IMPORT_BATCH_SIZE": "100",
        }
    )
    assert settings["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert settings["REDIS_URL"] == "redis://h:6379/2"
    assert settings["SECRET_KEY"] == "s3cret"
    assert settings["SAHAYATA_IMPORT_BATCH_SIZE"] == 100


def test_empty_redis_url_means_embedded():
    assert settings_from_env({"REDIS_URL": ""})["REDIS_URL"] is None


def test_the_confirmation_share_defaults_to_a_tenth_and_takes_0_to_1():
    assert settings_from_env({})["SAHAYATA_CONFIRM_SHARE"] == 0.1
    assert settings_from_env({"SAHAYATA_CONFIRM_SHARE": "0"})["SAHAYATA_CONFIRM_SHARE"] == 0.0
    assert settings_from_env({"SAHAYATA_CONFIRM_SHARE": " 1 "})["SAHAYATA_CONFIRM_SHARE"] == 1.0


@pytest.mark.parametrize("value", ["10%", "1.5", "-0.1", "nan", "inf", "a tenth"])
def test_a_bad_confirmation_share_refuses_to_start_naming_the_setting(value):
    with pytest.raises(UnsafeStart, match=r"SAHAYATA_CONFIRM_SHARE must be a number from 0 to 1"):
        settings_from_env({"SAHAYATA_CONFIRM_SHARE": value})


def test_the_rate_minimum_defaults_to_30_and_takes_a_whole_number():
    assert settings_from_env({})["SAHAYATA_RATE_MIN_DENOMINATOR"] == 30
    assert settings_from_env({"SAHAYATA_RATE_MIN_DENOMINATOR": " 100 "})["SAHAYATA_RATE_MIN_DENOMINATOR"] == 100
    assert settings_from_env({"SAHAYATA_RATE_MIN_DENOMINATOR": "1"})["SAHAYATA_RATE_MIN_DENOMINATOR"] == 1


@pytest.mark.parametrize("value", ["0", "-5", "2.5", "thirty", "３０"])
def test_a_bad_rate_minimum_refuses_to_start_naming_the_setting(value):
    with pytest.raises(UnsafeStart, match=r"SAHAYATA_RATE_MIN_DENOMINATOR must be a whole number of at least 1"):
        settings_from_env({"SAHAYATA_RATE_MIN_DENOMINATOR": value})
