"""The baseline: bare Flask endpoints answering like the service's callers expect, nothing else."""

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/ussd/africastalking")
def hop() -> Response:
    return Response("CON Hello\n1 One\n2 Two", mimetype="text/plain")


@app.post("/api/outlets/redemptions")
def redemption() -> tuple[Response, int]:
    """An outlet app's JSON call: the body parsed, a small JSON answer."""
    body = request.get_json()
    return jsonify(id=1, status="awaiting_code", quantity=str(body.get("quantity", ""))), 201
