"""Phones that dial through a proxy as an Africa's Talking gateway would, each in a thread.

A phone walks one journey again and again, one session after another: each hop posts the
whole `*`-joined history, as the gateway does. A hop that fails (no answer, or not 200) is
sent again, unchanged, as a gateway retries; the phone then goes on with its journey. Every
attempt is recorded with its times and the proxy's request id, for the test to judge.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOP_PATH = "/ussd/africastalking"
# The menu, My payments, back, My e-tokens, main menu, then a complaint: category 1,
# programme 1, no words (1), send (1). Back and main menu show the main menu again, and
# the last hop files a complaint and ends the session.
JOURNEY = ("", "2", "0", "3", "00", "4", "1", "1", "1", "1")
MAX_ATTEMPTS = 5  # per hop: a gateway that cannot get a screen after this gives up


@dataclass
class Attempt:
    phone: int
    session: int
    step: int
    started: float  # seconds since the load began
    ended: float
    status: int | None  # HTTP status; None when no answer came
    request_id: str | None  # the proxy's X-Request-ID
    body: str
    complete: bool  # the whole body arrived
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.status == 200 and self.complete


@dataclass
class Session:
    phone: int
    number: int
    screens: list[str] = field(default_factory=list)  # the answered screen of each step
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return len(self.screens) == len(JOURNEY)


@dataclass
class Answer:
    status: int
    request_id: str | None
    body: str
    complete: bool  # False: the answer broke off after its headers (its node died sending it)


def post_hop(connection: http.client.HTTPConnection, form: dict[str, str], headers: dict[str, str]) -> Answer:
    """One hop. Raises OSError or http.client's errors when not even a status line came."""
    connection.request(
        "POST", HOP_PATH, urlencode(form), {"Content-Type": "application/x-www-form-urlencoded", **headers}
    )
    response = connection.getresponse()
    request_id = response.getheader("X-Request-ID")
    try:
        body, complete = response.read().decode("utf-8", "replace"), True
    except http.client.IncompleteRead as cut:
        body, complete = cut.partial.decode("utf-8", "replace"), False
    return Answer(response.status, request_id, body, complete)


class Phone:
    def __init__(
        self,
        index: int,
        number: str,
        proxy: tuple[str, int],
        source: str,
        headers: dict[str, str],
        clock: Callable[[], float],
        think: float,
        until: float,
    ) -> None:
        self.index = index
        self.number = number
        self.proxy = proxy
        self.source = source
        self.headers = headers
        self.clock = clock
        self.think = think
        self.until = until  # the load's end: sessions under way then are finished
        self.random = random.Random(index)
        self.sessions: list[Session] = []
        self.connection: http.client.HTTPConnection | None = None
        self.crashed: BaseException | None = None

    def run(self) -> None:
        try:
            time.sleep(self.random.uniform(0, 2 * self.think))  # phones do not dial in step
            took = 0.0  # the last session's length: one that would end well past ``until`` is not begun
            while self.clock() + took / 2 < self.until:
                began = self.clock()
                self._session(len(self.sessions) + 1)
                took = self.clock() - began
        except BaseException as error:  # reported by the test, not lost in a thread
            self.crashed = error
        finally:
            if self.connection is not None:
                self.connection.close()

    def _session(self, number: int) -> None:
        session = Session(self.index, number)
        self.sessions.append(session)
        session_id = f"rehearsal-{self.index}-{number}"
        history: list[str] = []
        for step, key in enumerate(JOURNEY):
            if step:
                history.append(key)
            form = {
                "sessionId": session_id,
                "serviceCode": "*123#",
                "phoneNumber": self.number,
                "networkCode": "47001",
                "text": "*".join(history),
            }
            screen = self._hop(session, step, form)
            if screen is None:
                return  # the gateway gave up: the session is left incomplete (the test says so)
            session.screens.append(screen)
            time.sleep(self.think * self.random.uniform(0.5, 1.5))

    def _hop(self, session: Session, step: int, form: dict[str, str]) -> str | None:
        for _ in range(MAX_ATTEMPTS):
            started = self.clock()
            try:
                answer = post_hop(self._connection(), form, self.headers)
                status, body, request_id, complete = answer.status, answer.body, answer.request_id, answer.complete
                error = None
            except (OSError, http.client.HTTPException) as failure:
                status, body, request_id, complete, error = None, "", None, False, repr(failure)
            if not complete:
                self.connection.close()  # type: ignore[union-attr]
                self.connection = None
            ended = self.clock()
            attempt = Attempt(
                self.index, session.number, step, started, ended, status, request_id, body, complete, error
            )
            session.attempts.append(attempt)
            if attempt.answered:
                return body
            time.sleep(self.think)
        return None

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            host, port = self.proxy
            self.connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(self.source, 0))
        return self.connection


def start(phones: list[Phone]) -> list[threading.Thread]:
    """Every phone dialling in a thread of its own."""
    threads = [threading.Thread(target=phone.run, name=f"phone-{phone.index}", daemon=True) for phone in phones]
    for thread in threads:
        thread.start()
    return threads


def join(threads: list[threading.Thread], timeout: float) -> list[str]:
    """Wait for every phone to finish its last session; the names of any still dialling."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [thread.name for thread in threads if thread.is_alive()]
