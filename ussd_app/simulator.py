"""A basic phone in the browser (/simulator) and in the terminal (`flask --app wsgi ussd dial`).

Both dial through the real Africa's Talking endpoint, so what they show is exactly what a
gateway would get.
"""

from __future__ import annotations

import uuid

import click
from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.cli import AppGroup

from registry.validation import InvalidValue, normalise_mobile

bp = Blueprint(
    "simulator", __name__, template_folder="templates", static_folder="static", static_url_path="/simulator/static"
)
ussd_cli = AppGroup("ussd", help="USSD tools.")


@bp.before_request
def _only_where_enabled():
    # The simulator can dial as any number and read its SMS: a development tool only.
    if not current_app.config["SAHAYATA_SIMULATOR"]:
        abort(404)


@bp.get("/simulator")
def simulator():
    return render_template("simulator.html")


@bp.post("/simulator/sms")
def simulator_sms():
    """The console provider's recent messages to one phone (POST: no number in access logs)."""
    from sahayata.jobs import redis_connection
    from sms.providers.console import ConsoleProvider

    try:
        number = normalise_mobile(request.form.get("phone", ""))
    except InvalidValue:
        abort(400)
    messages = [m for m in ConsoleProvider(redis_connection()).recent(200) if m["to"] == number]
    return jsonify(messages=[m["text"] for m in messages[:10]])


@ussd_cli.command("dial")
@click.argument("phone")
def dial(phone: str) -> None:
    """Dial the USSD service as PHONE and type answers; an empty line or EOF hangs up."""
    try:
        number = normalise_mobile(phone)
    except InvalidValue as exc:
        raise click.ClickException(str(exc)) from None
    client = current_app.test_client()
    session_id = f"cli-{uuid.uuid4().hex[:12]}"
    history: list[str] = []
    while True:
        response = client.post(
            "/ussd/africastalking",
            data={"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": number, "text": "*".join(history)},
        )
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            raise click.ClickException(f"gateway error {response.status_code}: {body}")
        kind, _, text = body.partition(" ")
        click.echo(f"---- [{response.headers.get('X-Ussd-Budget')}] ----")
        click.echo(text)
        if kind == "END":
            return
        answer = click.prompt(">", default="", show_default=False, prompt_suffix=" ")
        if not answer.strip():
            click.echo("(hung up)")
            return
        history.append(answer.strip())
