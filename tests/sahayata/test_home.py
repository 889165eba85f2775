"""GET /: a bilingual page saying what the service is, with links to its parts."""

from foundation.headers import CONTENT_SECURITY_POLICY


def test_home_says_what_the_service_is_in_bangla_and_english(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "সামাজিক সুরক্ষা কর্মসূচি" in page  # Bangla
    assert "social protection programmes" in page  # English
    assert "*১২৩#" in page and "*123#" in page  # the code to dial, in each script's digits


def test_home_links_the_staff_workspace_open_data_and_in_development_the_simulator(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/staff/"' in page and 'href="/open-data/"' in page and 'href="/simulator"' in page
    assert client.get("/open-data/").status_code == 200  # the link leads somewhere


def test_production_home_has_no_simulator_link(production_client):
    response = production_client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/staff/"' in page and "/simulator" not in page


def test_home_carries_the_security_headers(production_client):
    response = production_client.get("/")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "<script" not in response.get_data(as_text=True)
