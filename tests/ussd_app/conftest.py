"""USSD fixtures: a registered caller with payments and e-tokens, and a phone that dials."""

from __future__ import annotations

import itertools

import pytest

from foundation.jobs import redis_connection
from tests.factories import make_old_age_beneficiary
from tests.fast_path import (  # noqa: F401  (every USSD test runs both ways, production starts too)
    app_both_ways,
    make_production_app_both_ways,
    production_app_both_ways,
)

_sessions = itertools.count(1)


@pytest.fixture(autouse=True)
def empty_redis(app):
    """Sessions, resume points and counters of one test never leak into the next."""
    redis_connection(app).flushdb()
    yield
    redis_connection(app).flushdb()


@pytest.fixture
def caller(session):
    """Rahima, 70, Old Age Allowance through Nagad with a failed last payment, and FFP rice."""
    citizen = make_old_age_beneficiary(session, "+8801712000001")
    return citizen


class Phone:
    """Dials through the real Africa's Talking endpoint, keeping the `*`-joined history."""

    def __init__(self, client, number: str) -> None:
        self.client = client
        self.number = number
        self.session_id = None
        self.history: list[str] = []
        self.status = None

    def dial(self) -> str:
        self.session_id = f"test-{next(_sessions)}"
        self.history = []
        return self._post("")

    def dial_fresh(self) -> str:
        """Dial, declining an offer to resume an earlier session."""
        screen = self.dial()
        return self.press("2") if screen.startswith("CON আগের জায়গা") else screen

    def read_on(self, screen: str) -> str:
        """Follow "98 More" to the end; the body text of every page, joined."""
        pages = [screen]
        while "\n98 " in pages[-1] or "\n৯৮ " in pages[-1]:
            pages.append(self.press("98"))
        return " ".join(page.removeprefix("CON ").rsplit("\n", 1)[0] for page in pages)

    def press(self, text: str) -> str:
        self.history.append(text)
        return self._post("*".join(self.history))

    def choose(self, label: str, screen: str) -> str:
        """Press the number of the option called ``label`` on ``screen``."""
        for line in screen.removeprefix("CON ").split("\n"):
            number, _, text = line.partition(" ")
            if text == label:
                return self.press(number)
        raise AssertionError(f"no option {label!r} on {screen!r}")

    def repeat(self) -> str:
        """The gateway retries the last request."""
        return self._post("*".join(self.history))

    def _post(self, text: str) -> str:
        response = self.client.post(
            "/ussd/africastalking",
            data={
                "sessionId": self.session_id,
                "serviceCode": "*123#",
                "phoneNumber": self.number,
                "networkCode": "47001",
                "text": text,
            },
        )
        self.status = response.status_code
        return response.get_data(as_text=True)


@pytest.fixture
def phone(client, caller):
    return Phone(client, caller.mobile)


@pytest.fixture
def stranger(client, session):
    return Phone(client, "+8801999000111")
