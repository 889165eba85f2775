"""Security headers on pages, no-store on personal data, and no inline script or style."""

import re

from foundation.config import PROJECT_ROOT
from foundation.headers import CONTENT_SECURITY_POLICY

TEMPLATES = [*PROJECT_ROOT.glob("*/templates/**/*.html")]


def test_every_html_page_carries_the_policy(client):
    for path in ("/staff/login", "/simulator"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # development: plain HTTP


def test_production_pages_add_hsts(production_client):
    response = production_client.get("/staff/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_inline_script_style_or_handlers():
    assert TEMPLATES
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert "<style" not in text and not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def test_the_stylesheets_and_script_are_served(client):
    for path in ("/staff/static/staff.css", "/simulator/static/simulator.css", "/simulator/static/simulator.js"):
        assert client.get(path).status_code == 200, path


def test_staff_pages_are_never_cached(client):
    response = client.get("/staff/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/staff/static/staff.css").headers.get("Cache-Control") != "no-store"


def test_the_page_says_its_language(client):
    assert '<html lang="bn">' in client.get("/staff/login").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/staff/login?lang=en").get_data(as_text=True)
