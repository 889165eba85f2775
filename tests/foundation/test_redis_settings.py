"""REDIS_SENTINELS, REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD as the start reads them."""

import pytest

from foundation.config import UnsafeStart, settings_from_env

SENTINELS = {"REDIS_URL": "redis://:pw@sahayata/2", "REDIS_SENTINEL_MASTER": "sahayata"}


def test_without_sentinels_redis_is_the_url_itself():
    settings = settings_from_env({"REDIS_URL": "redis://h:6379/2"})
    assert settings["REDIS_SENTINELS"] == ()
    assert settings["REDIS_SENTINEL_MASTER"] is None and settings["REDIS_SENTINEL_PASSWORD"] is None


def test_sentinels_are_read_as_host_and_port_pairs_in_order():
    settings = settings_from_env(
        {**SENTINELS, "REDIS_SENTINELS": " 10.0.0.5:26379, redis-b.ministry.local:26380 ,[fd00::7]:5000"}
    )
    assert settings["REDIS_SENTINELS"] == (("10.0.0.5", 26379), ("redis-b.ministry.local", 26380), ("fd00::7", 5000))
    assert settings["REDIS_SENTINEL_MASTER"] == "sahayata"


def test_the_sentinels_password_is_their_own():
    settings = settings_from_env({**SENTINELS, "REDIS_SENTINELS": "s1:26379", "REDIS_SENTINEL_PASSWORD": "sent1nel"})
    assert settings["REDIS_SENTINEL_PASSWORD"] == "sent1nel"


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.5",  # no port
        "10.0.0.5:",  # an empty port
        ":26379",  # no host
        "10.0.0.5:0",
        "10.0.0.5:65536",
        "10.0.0.5:2637x",
        "10.0.0.5:２６３７９",  # digits of another script
        "fd00::7:26379",  # IPv6 needs brackets, or the port is ambiguous
        "[not-an-address]:26379",
        "s1:26379,,s2:26379",  # an empty entry is a typo, not nothing
        "s1:26379;s2:26379",
        "redis://s1:26379",
        "s 1:26379",
    ],
)
def test_a_malformed_sentinel_refuses_to_start_naming_the_setting_and_the_entry(value):
    with pytest.raises(UnsafeStart, match=r"^REDIS_SENTINELS must be host:port pairs separated by commas") as refusal:
        settings_from_env({**SENTINELS, "REDIS_SENTINELS": value})
    assert "e.g. 10.0.0.5:26379" in str(refusal.value)


def test_sentinels_without_a_master_name_refuse_to_start():
    with pytest.raises(UnsafeStart, match=r"REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER is not"):
        settings_from_env({"REDIS_URL": "redis://sahayata/0", "REDIS_SENTINELS": "s1:26379"})


def test_a_master_name_without_sentinels_refuses_to_start():
    with pytest.raises(UnsafeStart, match=r"REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not"):
        settings_from_env({"REDIS_URL": "redis://h:6379/0", "REDIS_SENTINEL_MASTER": "sahayata"})


@pytest.mark.parametrize("name", ["my master", "master/1", "sahāyata"])
def test_a_master_name_sentinel_would_not_accept_refuses_to_start(name):
    with pytest.raises(UnsafeStart, match=r"REDIS_SENTINEL_MASTER may hold only letters, digits and \. - _"):
        settings_from_env({"REDIS_URL": "redis://h/0", "REDIS_SENTINELS": "s1:26379", "REDIS_SENTINEL_MASTER": name})
