def test_unknown_url_is_a_json_404_in_bangla_by_default(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.get_json() == {"error": "পাওয়া যায়নি।"}


def test_english_on_request(client):
    assert client.get("/no-such-page?lang=en").get_json() == {"error": "Not found."}


def test_wrong_method_is_405_not_500(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "error" in response.get_json()
