"""Every staff page in Debian's Chromium, in Bangla and in English: axe-core finds nothing
serious or critical, and at 320 px wide the page does not scroll sideways and its main
actions are on the screen.

axe-core comes from npm (tests/browser/package.json, pinned; `scripts/ensure-test-peers`
installs it with `npm ci`) and is evaluated in the page through Playwright, which runs it
outside the page's Content-Security-Policy, so the pages keep theirs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from staff import signals
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import STAFF_PASSWORD
from tests.helpers import serving
from tests.staff.workspace_data import LANGUAGES, workspace_fixture

AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
NARROW = {"width": 320, "height": 640}
NO_SUCH_CASE = "/staff/cases/000000000000"

# (page, language) -> why its violations are expected for now: empty, every page passes.
KNOWN_TO_FIX: dict[tuple[str, str], str] = {}

# Each page, as the role that sees the most of it, and what must be on a narrow screen.
PAGES = {
    "login": (None, ("input[name=email]", "input[name=password]", "#sign-in")),
    "login-refused": (None, ("#login-error", "#sign-in")),
    "queue": ("officer", ('a[href^="/staff/cases/"]', "#bulk-acknowledge", "#logout")),
    "case": ("officer", ("#tracking-number", "#do-action", "#logout")),
    "phone": ("officer", ("#full-phone",)),
    "dashboard": ("admin", ("h1", "#logout")),
    "signals": ("admin", ("h1", ".open-review", "#logout")),
    "password": ("officer", ("input[name=current_password]", "#change-password", "#logout")),
    "not-found": ("officer", ("#problem", "#logout")),
}
HEADER = ("#switch-language", "#change-password-link")


@pytest.fixture(scope="module")
def workspace(app):
    # Review buttons on the Signals page need the monitoring desk's phone.
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.config, signals.REVIEW_PHONE, "+8801911111111")
        yield from workspace_fixture(app)


@pytest.fixture(scope="module")
def site(app, workspace):
    with serving(app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def chromium():
    """One Debian Chromium for the module (tests/conftest.py's ``browser`` starts one per test)."""
    from playwright.sync_api import sync_playwright

    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/ensure-test-peers (npm ci in tests/browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _open(chromium, site, workspace, name: str, language: str, viewport=None):
    """A new browser context on page ``name``, signed in as the role that sees it."""
    role, _ = PAGES[name]
    context = chromium.new_context(viewport=viewport or {"width": 1280, "height": 800})
    page = context.new_page()
    if role is None:
        page.goto(f"{site}/staff/login?lang={language}")
        if name == "login-refused":
            page.fill("input[name=email]", "nobody@example.gov.bd")
            page.fill("input[name=password]", "not the password")
            page.click("#sign-in")
            page.wait_for_selector("#login-error")
        return context, page
    page.goto(f"{site}/staff/login")
    page.fill("input[name=email]", workspace.email(role, language))
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#logout")
    case = workspace.long_cases[language]
    if name == "phone":
        page.goto(f"{site}/staff/cases/{case}")
        page.click("#reveal-phone")
        page.wait_for_selector("#full-phone")
        return context, page
    path = {
        "queue": "/staff/",
        "case": f"/staff/cases/{case}",
        "dashboard": "/staff/dashboard",
        "signals": "/staff/signals",
        "password": "/staff/password",
        "not-found": NO_SUCH_CASE,
    }[name]
    page.goto(f"{site}{path}")
    return context, page


def _blocking_violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} elements): {violation['help']}; "
        + " | ".join(node["html"][:120] for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("viewport", [None, NARROW], ids=["desktop", "320px"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violation(chromium, site, workspace, name, language, viewport):
    context, page = _open(chromium, site, workspace, name, language, viewport=viewport)
    try:
        assert page.evaluate("document.documentElement.lang") == language
        found = _blocking_violations(page)
    finally:
        context.close()
    if found and (name, language) in KNOWN_TO_FIX:
        pytest.xfail(f"{KNOWN_TO_FIX[(name, language)]}: " + "; ".join(found))
    assert found == [], f"{name} ({language}):\n" + "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_usable_at_320_px_without_sideways_scrolling(chromium, site, workspace, name, language):
    context, page = _open(chromium, site, workspace, name, language, viewport=NARROW)
    try:
        width = page.evaluate("document.scrollingElement.scrollWidth")
        _, actions = PAGES[name]
        signed_in = PAGES[name][0] is not None
        offscreen = []
        for selector in actions + (HEADER if signed_in else ()):
            element = page.locator(selector).first
            if element.is_visible():
                # Within a table that scrolls in its own box, as a person would scroll to it.
                element.scroll_into_view_if_needed()
            box = element.bounding_box() if element.is_visible() else None
            if box is None or box["x"] < 0 or box["x"] + box["width"] > NARROW["width"] + 1:
                offscreen.append((selector, box))
    finally:
        context.close()
    assert width <= NARROW["width"] + 1, f"{name} ({language}) is {width} px wide"
    assert offscreen == [], f"{name} ({language}): not visible within 320 px: {offscreen}"
