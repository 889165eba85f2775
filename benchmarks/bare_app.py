"""The baseline: a bare Flask endpoint answering like a USSD gateway expects, nothing else."""

from flask import Flask, Response

app = Flask(__name__)


@app.post("/ussd/africastalking")
def hop() -> Response:
    return Response("CON Hello\n1 One\n2 Two", mimetype="text/plain")
