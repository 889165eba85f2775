"""Two web nodes behind Debian's nginx, rehearsed: deploy/nginx/sahayata.conf.template in
front of two `gunicorn wsgi:app` nodes, two RQ workers and the scheduler, all started as a
production deployment would (SECRET_KEY, PostgreSQL, Redis, SAHAYATA_PROXY_HOPS=1, the
Africa's Talking gateway given a secret and an address list).

64 phones walk a real journey (the menu, payments, e-tokens, a complaint) for
SAHAYATA_REHEARSAL_SECONDS (60 by default); one node is killed with SIGKILL at a third of
that time and started again at two thirds. Only hops in flight on that node when it died
may fail; each such hop, sent again by the phone, finds its session intact in Redis and the
journey goes on on the other node. The phones dial from 127.0.0.2 while nginx reaches the
nodes from 127.0.0.1, so a gateway allow list of 127.0.0.2 that lets every hop through shows
ProxyFix handing the app the client's address, and probes show a client's own
X-Forwarded-For is not believed.

The configuration's own checks (nginx -t, the body limits, an import streamed through nginx to a
stand-in node, the access log) run in every pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import os
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from redis import Redis
from sqlalchemy.engine import make_url

from foundation.db import database, db_session
from foundation.i18n import to_ascii_digits
from sahayata import migrate
from sahayata.app import create_app
from tests.factories import make_citizen, make_enrolment, make_payment, make_wallet
from tests.helpers import free_port
from tests.peers import nginx_peer
from tests.peers.nginx_peer import NginxPeer
from tests.peers.service_nodes import WebNode, deployment_env, scheduler, worker
from tests.peers.ussd_load import JOURNEY, Phone, post_hop, start
from tests.peers.ussd_load import join as join_phones

# This test's own ports (nginx, and the two nodes). The phones dial from CLIENT_ADDRESS;
# nginx reaches the nodes from 127.0.0.1.
PROXY_PORT = 18080
NODE_PORTS = (18001, 18002)
CLIENT_ADDRESS = "127.0.0.2"
PHONES = 64
DURATION = float(os.environ.get("SAHAYATA_REHEARSAL_SECONDS", "60"))
THINK_SECONDS = 0.5  # between a phone's hops (on average): at most 128 hops a second from 64 phones
GATEWAY_KEY = "rehearsal-gateway-key-" + "k" * 20


# -- the configuration, in every pass ---------------------------------------------------------
def test_the_rendered_configuration_passes_nginx_t(tmp_path):
    if nginx_peer.nginx_binary() is None:
        pytest.fail("nginx is missing: install Debian's nginx (scripts/ensure-test-peers)")
    peer = NginxPeer(tmp_path, f"127.0.0.1:{PROXY_PORT}", [f"127.0.0.1:{port}" for port in NODE_PORTS])
    checked = peer.check()
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


NGINX_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024}


def _location(template: str, prefix: str) -> str:
    """The body of ``location PREFIX { ... }`` (the template's locations hold no nested block)."""
    found = re.search(r"^\s*location " + re.escape(prefix) + r" \{(.*?)^\s*\}", template, re.M | re.S)
    assert found is not None, f"no location {prefix}"
    return found.group(1)


def _body_limits(text: str) -> list[int]:
    return [
        int(number) * NGINX_SIZE_UNITS[unit.lower()]
        for number, unit in re.findall(r"^\s*client_max_body_size (\d+)([kKmMgG]?);", text, re.M)
    ]


def test_nginx_refuses_the_bodies_the_app_refuses():
    """The server's client_max_body_size equals the app's default request limit
    (SAHAYATA_MAX_BODY_BYTES), and the import API's location, the one path the app lets take
    more, equals the app's import limit (SAHAYATA_IMPORT_MAX_BYTES); no other location
    changes it."""
    template = nginx_peer.TEMPLATE.read_text()
    app = create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": None}, env={})
    imports = _location(template, "/api/v1/imports/")
    outside_locations = re.sub(r"^\s*location [^{]*\{.*?^\s*\}", "", template, flags=re.M | re.S)
    assert _body_limits(outside_locations) == [app.config["MAX_CONTENT_LENGTH"]]
    assert _body_limits(imports) == [app.config["SAHAYATA_IMPORT_MAX_BYTES"]]
    assert _body_limits(template) == _body_limits(outside_locations) + _body_limits(imports)


class _RecordingNode:
    """A stand-in web node on loopback: it reads one request, notes when the first bytes of
    its body arrive, reads the rest and answers 200."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.body_started = threading.Event()
        self.body_bytes = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.settimeout(30)
            received = b""
            while b"\r\n\r\n" not in received:
                received += connection.recv(65536)
            head, _, body = received.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
            self.body_bytes = len(body)
            while self.body_bytes < length:
                if self.body_bytes:
                    self.body_started.set()
                self.body_bytes += len(connection.recv(65536))
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self) -> None:
        self.listener.close()


def _post_head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: sahayata.test\r\nContent-Type: text/csv\r\n"
        f"Authorization: Bearer t\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _status_of(client: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer and (chunk := client.recv(4096)):
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_an_import_streams_through_nginx_to_the_node(tmp_path):
    """The node gets the first bytes of an upload while the ministry's system is still
    sending the rest (nginx's default would read the whole body before connecting), and
    a body the import limit refuses, or one over the web limit elsewhere, gets nginx's 413
    without reaching a node."""
    if nginx_peer.nginx_binary() is None:
        pytest.fail("nginx is missing: install Debian's nginx (scripts/ensure-test-peers)")
    node = _RecordingNode()
    peer = NginxPeer(tmp_path, f"127.0.0.1:{free_port()}", [node.address])
    peer.start()
    try:
        host, _, port = peer.listen.rpartition(":")
        first, rest = b"x" * 65536, b"y" * (1024 * 1024 - 65536)
        with socket.create_connection((host, int(port)), timeout=30) as client:
            client.sendall(_post_head("/api/v1/imports/citizens", len(first) + len(rest)) + first)
            assert node.body_started.wait(10), "nginx held the body back until it was whole"
            assert node.body_bytes < len(first) + len(rest)
            client.sendall(rest)
            assert _status_of(client) == 200
        node.thread.join(10)
        assert node.body_bytes == len(first) + len(rest)

        import_limit = create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": None}, env={}).config[
            "SAHAYATA_IMPORT_MAX_BYTES"
        ]
        for path, length in (("/api/v1/imports/citizens", import_limit + 1), ("/ussd/africastalking", 1024 * 1024)):
            with socket.create_connection((host, int(port)), timeout=30) as client:
                client.sendall(_post_head(path, length))
                assert _status_of(client) == 413, path
    finally:
        peer.stop()
        node.close()
    logged = [entry.uri for entry in peer.log().values()]
    assert sorted(logged) == ["/api/v1/imports/citizens", "/api/v1/imports/citizens", "/ussd/africastalking"]


def test_the_access_log_leaves_query_strings_out():
    """Kannel's inbound URL carries the sender's number: the log format has $uri, never
    $request, $request_uri, $args or $query_string."""
    log_format = re.search(r"log_format sahayata (.*?);", nginx_peer.TEMPLATE.read_text(), re.S)
    assert log_format is not None
    assert "$uri" in log_format.group(1)
    for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$arg_"):
        assert variable not in log_format.group(1)


def test_a_post_is_never_passed_to_another_node_once_sent():
    """A USSD hop is not safe to send twice (see deploy/nginx/README.md): nginx's default
    keeps a sent POST on its node, and the configuration does not undo it."""
    template = nginx_peer.TEMPLATE.read_text()
    directives = re.findall(r"^\s*proxy_next_upstream\s+([^;]*);", template, re.M)
    assert directives == ["error timeout"]
    assert "non_idempotent" not in "".join(directives)


# -- the rehearsal, on the PG+Redis pass --------------------------------------------------------
def _real_services() -> tuple[str, str]:
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgresql") or not redis_url:
        pytest.skip("embedded mode: nodes behind a proxy need PostgreSQL and Redis (CI's PG+Redis pass runs this)")
    return database_url, redis_url


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A database of the rehearsal's own on the PostgreSQL server, dropped afterwards."""
    configured, _ = _real_services()
    url = make_url(configured)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"sahayata_rehearsal_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def rehearsal_redis(redis_url) -> Iterator[str]:
    """The tests' Redis database (SAHAYATA_TEST_REDIS_DB), emptied before and after."""
    _real_services()
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield redis_url
    connection.flushdb()


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        # As gunicorn and nginx bind: a connection of an earlier run waiting out TIME_WAIT
        # does not make the port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _migrate_and_seed(database_url: str) -> list[tuple[int, str]]:
    """The schema and reference data (what `flask --app wsgi db upgrade` loads), then PHONES
    registered callers, (id, mobile) each: 70, the Old Age Allowance through Nagad (a payment
    credited, the next one scheduled) and 30 kg of Food Friendly rice."""
    from grievance.reference_data import sync_grievance_reference_data
    from registry.etokens import post_entry
    from registry.models import PaymentStatus
    from registry.reference_data import sync_reference_data

    seeding = create_app({"DATABASE_URL": database_url, "REDIS_URL": None})
    callers = []
    try:
        migrate.upgrade(seeding)
        with seeding.app_context():
            with database(seeding).sessions.begin() as session:
                sync_reference_data(session)
                sync_grievance_reference_data(session)
            session = db_session()
            for i in range(PHONES):
                citizen = make_citizen(session, age=70, mobile=f"+8801755{i:06d}")
                make_enrolment(session, citizen, "OAA", account_number=citizen.mobile[-11:])
                make_payment(session, citizen, "OAA", cycle="2026-10")  # a unique transaction id each
                make_payment(
                    session, citizen, "OAA", cycle="2026-11", status=PaymentStatus.SCHEDULED, txn_id=None, paid_on=None
                )
                make_enrolment(session, citizen, "FFP")
                wallet = make_wallet(session, citizen, "FFP", expires_on=dt.date(2026, 12, 31))
                post_entry(session, wallet, Decimal(30), "credit")
                callers.append((citizen.id, citizen.mobile))
            session.commit()
    finally:
        database(seeding).engine.dispose()
    return callers


@contextlib.contextmanager
def _running(*processes) -> Iterator[None]:
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in reversed(processes):
            process.stop()


def _hop_form(number: str, session_id: str) -> dict[str, str]:
    return {"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": number, "networkCode": "47001", "text": ""}


def _probe(port: int, source: str, number: str, headers: dict[str, str]) -> int:
    """A first hop from ``source`` straight to ``port``: its HTTP status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        return post_hop(connection, _hop_form(number, f"probe-{uuid.uuid4().hex[:8]}"), headers).status
    finally:
        connection.close()


TRACKING = re.compile(r"(\d{9})")


def _tracking_number(screen: str) -> str:
    found = TRACKING.search(to_ascii_digits(screen))
    assert found is not None, f"no tracking number in {screen!r}"
    return found.group(1)


def _check_reference(screens: list[str]) -> None:
    """A phone's first session: the journey's screens are the ones it promises."""
    assert len(screens) == len(JOURNEY)
    assert all(screen.startswith("CON ") for screen in screens[:-1]), screens
    assert screens[-1].startswith("END "), screens[-1]
    assert screens[2] == screens[0] and screens[4] == screens[0], "back and 00 return to the main menu"
    assert len({screens[0], screens[1], screens[3], screens[5]}) == 4, "menu, payment, e-tokens, complaint differ"
    assert "৬০০ টাকা" in screens[1], "the last payment: Tk 600"
    assert "৩০ কেজি" in screens[3], "the e-token wallet: 30 kg of rice"


def test_two_nodes_behind_nginx_survive_losing_one(scratch_database, rehearsal_redis, tmp_path, capsys):
    if nginx_peer.nginx_binary() is None:
        pytest.fail("nginx is missing: install Debian's nginx (scripts/ensure-test-peers)")
    busy = [port for port in (PROXY_PORT, *NODE_PORTS) if not _port_free(port)]
    assert not busy, f"ports of this test are taken: {busy}"

    env = deployment_env(
        {
            "SECRET_KEY": "rehearsal-secret-key-" + "s" * 32,
            "SAHAYATA_PHONE_HASH_KEY": "rehearsal-phone-hash-key-" + "p" * 32,
            "DATABASE_URL": scratch_database,
            "REDIS_URL": rehearsal_redis,
            "SAHAYATA_PROXY_HOPS": "1",
            "USSD_AFRICASTALKING_SECRET": GATEWAY_KEY,
            "USSD_AFRICASTALKING_ALLOW": CLIENT_ADDRESS,
        }
    )
    set_up = time.monotonic()
    logs = tmp_path / "logs"
    logs.mkdir()
    nodes = [WebNode(f"node-{i}", f"127.0.0.1:{port}", env, logs) for i, port in enumerate(NODE_PORTS, 1)]
    killed, survivor = nodes
    background = [worker("worker-1", env, logs), worker("worker-2", env, logs), scheduler(env, logs)]
    proxy = NginxPeer(tmp_path / "nginx", f"127.0.0.1:{PROXY_PORT}", [node.address for node in nodes])
    key = {"X-Sahayata-Key": GATEWAY_KEY}

    # The nodes load the app (several seconds) while the database is made; they touch it
    # only once asked. Workers and the scheduler find work at once, so they start after.
    with _running(*nodes):
        citizens = _migrate_and_seed(scratch_database)
        migrated_at = time.monotonic()
        with _running(*background, proxy):
            for node in nodes:
                node.wait_ready()
            ready_at = time.monotonic()

            # Who the client is, through nginx: the gateway's allow list holds the phones' address.
            number = citizens[0][1]
            spoofed = {**key, "X-Forwarded-For": "203.0.113.9"}
            assert _probe(PROXY_PORT, CLIENT_ADDRESS, number, spoofed) == 200, "the client's own claim was believed"
            claimed = {**key, "X-Forwarded-For": CLIENT_ADDRESS}
            assert _probe(PROXY_PORT, "127.0.0.1", number, claimed) == 403, "a forged X-Forwarded-For got through"
            # A node believes one X-Forwarded-For from whoever reaches it: only the proxy may.
            assert _probe(NODE_PORTS[0], "127.0.0.1", number, claimed) == 200

            began = time.monotonic()

            def clock() -> float:
                return time.monotonic() - began

            phones = [
                Phone(i, mobile, ("127.0.0.1", PROXY_PORT), CLIENT_ADDRESS, key, clock, THINK_SECONDS, DURATION)
                for i, (_id, mobile) in enumerate(citizens)
            ]
            threads = start(phones)
            time.sleep(max(0.0, DURATION / 3 - clock()))
            kill_started = clock()
            killed.kill()
            kill_done = clock()
            time.sleep(max(0.0, 2 * DURATION / 3 - clock()))
            restarted_at = clock()
            killed.start()
            still_dialling = join_phones(threads, timeout=60)
            load_ended = clock()
            killed.wait_ready(timeout=30)
            assert survivor.running, survivor.log_tail()
            assert all(process.running for process in background), [p.log_tail() for p in background if not p.running]
            complaints, sms_sent = _wait_for_the_workers(scratch_database, [citizen_id for citizen_id, _ in citizens])
            logged = proxy.log()
            settled_at = time.monotonic()
    stopped_at = time.monotonic()

    assert not still_dialling, f"phones still dialling after the load: {still_dialling}"
    assert not [phone.crashed for phone in phones if phone.crashed]
    attempts = [attempt for phone in phones for session in phone.sessions for attempt in session.attempts]
    sessions = [session for phone in phones for session in phone.sessions]
    failed = [attempt for attempt in attempts if not attempt.answered]
    address = {killed.address: killed.name, survivor.address: survivor.name}

    # Only hops in flight on the killed node when it died failed: each was under way at the
    # kill and forwarded to that node alone, and nginx answered 502 (the node died before
    # answering) or its answer broke off (the node died while sending it).
    for attempt in failed:
        line = logged.get(attempt.request_id or "")
        assert line is not None, f"a hop failed before reaching nginx: {attempt}"
        assert line.upstreams == (killed.address,), (attempt, line)
        assert line.status == 502 or (line.status == 200 and not attempt.complete), (attempt, line)
        assert attempt.started <= kill_done and attempt.ended >= kill_started, (attempt, kill_started, kill_done)

    # Every session completed, on every phone the same screens as its first session: a hop
    # sent again after a failure found its session as it was (state intact in Redis), and a
    # complaint sent again was not filed twice (the same tracking number).
    incomplete = [session for session in sessions if not session.completed]
    assert not incomplete, f"{len(incomplete)} sessions gave up; first: {incomplete[0].attempts[-1]}"
    (logs / "first-session.txt").write_text("\n\n".join(phones[0].sessions[0].screens))  # to read when this fails
    tracking_by_phone = {}
    for phone in phones:
        reference = phone.sessions[0].screens
        _check_reference(reference)
        tracking_by_phone[phone.index] = _tracking_number(reference[-1])
        for session in phone.sessions[1:]:
            assert session.screens[:-1] == reference[:-1], (phone.index, session.number)
            assert session.screens[-1].startswith("END ")
            assert _tracking_number(session.screens[-1]) == tracking_by_phone[phone.index]
    recovered = [
        attempt
        for attempt in failed
        if next(s for s in sessions if (s.phone, s.number) == (attempt.phone, attempt.session)).completed
    ]

    # One complaint per phone, whatever was retried, each routed by a worker and its SMS sent.
    for index, (citizen_id, _mobile) in enumerate(citizens):
        filed = complaints.get(citizen_id, [])
        assert [number for number, _status in filed] == [tracking_by_phone[index]], (index, filed)
        assert filed[0][1] != "received", f"complaint of phone {index} never routed"
    assert sms_sent >= PHONES

    # The proxy: both nodes served before the kill, the survivor alone while the other was
    # dead (connections it refused passed on), and the restarted node back in rotation.
    hops = [logged[a.request_id] for a in attempts if a.request_id in logged]
    timed = {a.request_id: a for a in attempts}

    def served(name: str, since: float, until: float) -> int:
        return sum(
            1
            for line in hops
            if line.status == 200
            and address.get(line.upstreams[-1]) == name
            and since <= timed[line.request_id].started < until
        )

    passed_on = [line for line in hops if len(line.upstreams) > 1]
    assert served(killed.name, 0, kill_started) > 0 and served(survivor.name, 0, kill_started) > 0
    assert served(killed.name, kill_done + 1, restarted_at) == 0
    assert served(survivor.name, kill_done, restarted_at) > 0
    assert all(line.upstreams[0] == killed.address and line.status == 200 for line in passed_on)
    # nginx tries a node it saw fail again after fail_timeout (10 s), and a node takes some
    # seconds to start: a shorter run (SAHAYATA_REHEARSAL_SECONDS under 45, for trying
    # things out) may end before either happens.
    if DURATION >= 45:
        assert passed_on, "no hop was passed on from the dead node"
        assert served(killed.name, restarted_at, load_ended + 1) > 0, "the restarted node got no hop"

    spanning = [s for s in sessions if s.attempts and s.attempts[0].started < kill_started < s.attempts[-1].ended]
    per_node = Counter(address.get(line.upstreams[-1], "?") for line in hops if line.status == 200)
    failed_per_node = Counter(address.get(logged[a.request_id].upstreams[-1], "?") for a in failed)
    with capsys.disabled():
        print(
            f"\nrehearsal: {len(attempts)} hops attempted, {len(failed)} failed, {len(recovered)} recovered; "
            f"{len(sessions)} sessions completed ({len(spanning)} under way at the kill); "
            f"{len(passed_on)} hops passed on from the dead node; {load_ended:.0f} s of load, "
            f"{killed.name} killed at {kill_started:.1f} s and restarted at {restarted_at:.1f} s"
        )
        for node in nodes:
            print(
                f"  {node.name}: {per_node[node.name]} hops answered "
                f"({served(node.name, 0, kill_started)} before the kill, "
                f"{served(node.name, kill_done, restarted_at)} while {killed.name} was dead, "
                f"{served(node.name, restarted_at, load_ended + 1)} after its restart), "
                f"{failed_per_node[node.name]} failed"
            )
        print(f"  complaints: {len(complaints)} filed, all routed; {sms_sent} SMS sent by the workers")
        print(
            f"  wall time: {migrated_at - set_up:.0f} s migrating and seeding, {ready_at - migrated_at:.0f} s "
            f"starting, {settled_at - ready_at:.0f} s of load and workers, {stopped_at - settled_at:.0f} s stopping"
        )


def _wait_for_the_workers(database_url: str, citizen_ids: list[int], timeout: float = 60):
    """Complaints by citizen ((tracking number, status) each) and SMS sent, once every
    complaint left "received" and each has an SMS sent (or the time is up)."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as connection:
        while True:
            rows = connection.execute(
                "SELECT citizen_id, tracking_number, status::text FROM grievances"
                " WHERE citizen_id = ANY(%s) ORDER BY id",
                (citizen_ids,),
            ).fetchall()
            (sent,) = connection.execute(
                "SELECT count(*) FROM sms_messages WHERE status::text IN ('sent', 'delivered')"
            ).fetchone()
            complaints: dict[int, list[tuple[str, str]]] = {}
            for citizen_id, number, status in rows:
                complaints.setdefault(citizen_id, []).append((number, status))
            routed = all(status != "received" for filed in complaints.values() for _number, status in filed)
            settled = len(complaints) == len(citizen_ids) and routed
            if (settled and sent >= len(citizen_ids)) or time.monotonic() > deadline:
                return complaints, sent
            time.sleep(0.5)
