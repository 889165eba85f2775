"""gzip where the client accepts it: pages and downloads, never the machines' gateways."""

from __future__ import annotations

import csv
import gzip
import io

from flask import Blueprint, Response

from sahayata.compression import COMPRESSED_BLUEPRINTS, MACHINE_BLUEPRINTS, compress_blueprint

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _plain_and_gzipped(client, path):
    plain = client.get(path)
    packed = client.get(path, headers=GZIP)
    assert plain.status_code == packed.status_code == 200, path
    return plain, packed


def test_a_page_is_gzipped_when_asked_and_says_it_varies_by_encoding(client):
    plain, packed = _plain_and_gzipped(client, "/staff/login")
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    # The same page once unpacked, bar the CSRF token each answer signs afresh.
    assert gzip.decompress(packed.data).split(b'name="csrf_token"')[0] == plain.data.split(b'name="csrf_token"')[0]


def test_the_home_page_and_the_staff_stylesheet_and_script_are_gzipped(client):
    for path, mimetype in (("/", "text/html"), ("/staff/static/staff.css", "text/css")):
        plain, packed = _plain_and_gzipped(client, path)
        assert packed.mimetype == mimetype and packed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(packed.data) == plain.data, path
    script = client.get("/staff/static/case.js", headers=GZIP)
    assert script.headers["Content-Encoding"] == "gzip" and b"addEventListener" in gzip.decompress(script.data)


def test_a_static_file_still_answers_304_and_a_byte_range_is_sent_as_it_is(client):
    first = client.get("/staff/static/staff.css", headers=GZIP)
    again = client.get("/staff/static/staff.css", headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    plain = client.get("/staff/static/staff.css").data
    ranged = client.get("/staff/static/staff.css", headers={**GZIP, "Range": "bytes=0-99"})
    assert ranged.status_code == 206 and "Content-Encoding" not in ranged.headers
    assert ranged.data == plain[:100]


def test_open_data_downloads_are_gzipped_and_unpack_to_the_same_files(client):
    for path in ("/open-data/", "/open-data/grievances.dictionary.md", "/open-data/LICENSE"):
        plain, packed = _plain_and_gzipped(client, path)
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(packed.data) == plain.data, path
    for path in ("/open-data/grievances.csv", "/open-data/signals.csv"):
        plain, packed = _plain_and_gzipped(client, path)
        assert packed.headers["Content-Disposition"] == plain.headers["Content-Disposition"]
        body = gzip.decompress(packed.data) if packed.headers.get("Content-Encoding") == "gzip" else packed.data
        assert body == plain.data and next(csv.reader(io.StringIO(body.decode())))  # a header row at least


def test_answers_below_the_minimum_size_are_sent_as_they_are(client):
    response = client.get("/healthz", headers=GZIP)
    assert "Content-Encoding" not in response.headers


def test_a_ussd_hop_is_not_looked_at(client):
    form = {"sessionId": "compression-1", "phoneNumber": "+8801712345678", "text": ""}
    response = client.post("/ussd/africastalking", data=form, headers=GZIP)
    assert response.status_code == 200 and response.data.startswith(b"CON ")
    assert "Content-Encoding" not in response.headers
    # The library marks every response it sees; this one it never saw.
    assert "Accept-Encoding" not in response.headers.get("Vary", "")


def test_every_blueprint_is_either_compressed_or_a_machines(app):
    # A new or renamed blueprint must be put in one list or the other.
    assert set(app.blueprints) == {*COMPRESSED_BLUEPRINTS, *MACHINE_BLUEPRINTS}
    assert not set(COMPRESSED_BLUEPRINTS) & set(MACHINE_BLUEPRINTS)


def test_an_answer_already_compressed_and_a_stream_are_handled(scratch_app):
    packed_json = gzip.compress(b'{"already": "compressed"}' * 100)
    probe = Blueprint("probe", __name__)

    @probe.get("/already-gzipped")
    def already():
        return Response(packed_json, mimetype="application/json", headers={"Content-Encoding": "gzip"})

    @probe.get("/streamed.csv")
    def streamed():
        return Response((f"row,{n}\n" for n in range(2000)), mimetype="text/csv")

    scratch_app.register_blueprint(probe)
    compress_blueprint(scratch_app, "probe")
    client = scratch_app.test_client()
    assert client.get("/already-gzipped", headers=GZIP).data == packed_json  # not packed twice
    response = client.get("/streamed.csv", headers=GZIP)
    assert response.is_streamed and response.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response.headers  # sent as it is made, not gathered first
    assert gzip.decompress(response.data).decode().splitlines()[-1] == "row,1999"
