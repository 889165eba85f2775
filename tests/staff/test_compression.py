"""Every staff page, as each role that sees it gets it on a busy day, is under 30 KB gzipped."""

from __future__ import annotations

import gzip

import pytest

from staff.cases import NOTES_LIMIT
from tests.factories import STAFF_PASSWORD
from tests.staff.conftest import StaffClient
from tests.staff.workspace_data import LANGUAGES, QUEUE_CASES, TIMELINE_NOTES, workspace_fixture

LIMIT = 30_000  # bytes on the wire
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
NO_SUCH_CASE = "/staff/cases/000000000000"

# Which pages each role is shown: the queue and cases for those who read cases, the phone for
# the officer who took the case up, Signals for monitoring, coordinators and admins.
PAGES = {
    "officer": ("queue", "case", "phone", "dashboard", "password", "not-found"),
    "gro": ("queue", "case", "dashboard", "password", "not-found"),
    "coordinator": ("queue", "case", "dashboard", "signals", "password", "not-found", "forbidden"),
    "monitoring": ("dashboard", "signals", "password", "not-found"),
    "admin": ("queue", "case", "dashboard", "signals", "password", "not-found"),
}
SIGNED_IN = [(role, page) for role, pages in PAGES.items() for page in pages]


@pytest.fixture(scope="module")
def workspace(app):
    yield from workspace_fixture(app)


def _signed_in(app, email: str) -> StaffClient:
    client = StaffClient(app.test_client())
    client.get("/staff/login")
    assert client.post("/staff/login", {"email": email, "password": STAFF_PASSWORD}).status_code == 302
    client.get("/staff/password")  # a page with a form: the client holds this session's CSRF token
    return client


def _fetch(client: StaffClient, workspace, role: str, page: str, language: str):
    case = workspace.gro_case if role == "gro" else workspace.long_cases[language]
    if page == "phone":
        return client.post(f"/staff/cases/{case}/phone", headers=GZIP)
    if page == "forbidden":  # a reader pressing an officer's button
        return client.post("/staff/queue/acknowledge", {"case": case}, headers=GZIP)
    path = {
        "queue": "/staff/",
        "case": f"/staff/cases/{case}",
        "dashboard": "/staff/dashboard",
        "signals": "/staff/signals",
        "password": "/staff/password",
        "not-found": NO_SUCH_CASE,
    }[page]
    return client.client.get(path, headers=GZIP)


def _body_and_size(response) -> tuple[str, int]:
    if 200 <= response.status_code < 300:
        assert response.headers["Content-Encoding"] == "gzip"
        return gzip.decompress(response.data).decode(), len(response.data)
    # Error answers go out as they are; their gzip would be smaller still.
    return response.get_data(as_text=True), len(response.data)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("role", "page"), SIGNED_IN)
def test_each_page_each_role_sees_is_under_30_kb_gzipped(app, workspace, role, page, language):
    client = _signed_in(app, workspace.email(role, language))
    response = _fetch(client, workspace, role, page, language)
    expected = {"not-found": 404, "forbidden": 403}.get(page, 200)
    assert response.status_code == expected, (role, page)
    html, size = _body_and_size(response)
    assert f'lang="{language}"' in html
    assert size < LIMIT, f"{role} {page} ({language}): {size} bytes"
    # The pages are measured full, not empty.
    if page == "queue" and role != "gro":
        assert html.count('href="/staff/cases/') >= 50
    if page == "case" and role != "gro":
        # As many notes as the case page shows at most (the newest).
        assert sum(f"[{n}]" in html for n in range(TIMELINE_NOTES)) == min(TIMELINE_NOTES, NOTES_LIMIT)
    if page == "signals":
        assert html.count("<tr>") > 20  # a full page of one signal's items at least


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_in_page_and_a_refused_sign_in_are_under_30_kb(app, workspace, language):
    client = app.test_client()
    page = client.get(f"/staff/login?lang={language}", headers=GZIP)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    assert len(page.data) < LIMIT and f'lang="{language}"' in gzip.decompress(page.data).decode()
    staff = StaffClient(client)
    staff.get(f"/staff/login?lang={language}")
    refused = staff.post(f"/staff/login?lang={language}", {"email": "nobody@example.gov.bd", "password": "x"})
    assert refused.status_code == 401 and len(refused.data) < LIMIT


def test_the_queue_export_is_gzipped_and_unpacks_to_every_case(app, workspace):
    client = _signed_in(app, workspace.email("officer", "en"))
    response = client.client.get("/staff/queue.csv?status=all", headers=GZIP)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Disposition"] == "attachment; filename=queue.csv"
    rows = gzip.decompress(response.data).decode().splitlines()
    assert len(rows) == 1 + QUEUE_CASES  # the header, then every case of the officer's (not the sensitive one)


PUBLIC = (
    "/",
    "/open-data/",
    "/open-data/grievances.csv",
    "/open-data/grievances.dictionary.md",
    "/open-data/signals.csv",
    "/open-data/signals.json",
    "/open-data/signals.dictionary.md",
    "/open-data/LICENSE",
)


@pytest.mark.parametrize("path", PUBLIC)
def test_the_public_pages_and_open_data_files_are_under_30_kb(app, workspace, path):
    response = app.test_client().get(path, headers=GZIP)
    assert response.status_code == 200
    assert len(response.data) < LIMIT, f"{path}: {len(response.data)} bytes"
