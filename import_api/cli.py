"""`flask --app wsgi api token|revoke|list`: the tokens of ministry systems."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from foundation.db import db_session

api_cli = AppGroup("api", help="Tokens of the ministry systems that call the import API.")


@api_cli.command("token")
@click.option("--ministry", required=True, help="The ministry's code (e.g. MOFOOD): it writes its programmes only.")
@click.option(
    "--citizens",
    is_flag=True,
    help="May also import citizens, which every ministry's programmes share: for the registry's keeper only.",
)
@click.option("--label", default="", help="Which system holds it (shown by `api list` and in the trail).")
def token_command(ministry: str, citizens: bool, label: str) -> None:
    """Print a new bearer token for a ministry's system, once."""
    from import_api.tokens import issue
    from registry.models import Ministry

    session = db_session()
    issued = issue(session, ministry, citizens=citizens, label=label)
    if issued is None:
        codes = ", ".join(session.scalars(select(Ministry.code).order_by(Ministry.code)))
        raise click.ClickException(f"no ministry with code {ministry!r}; use one of {codes}")
    token_id, token = issued
    click.echo(token)
    click.echo(f"token {token_id}: shown once, only its hash is kept; `api revoke {token_id}` ends it", err=True)


@api_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int) -> None:
    """Stop token TOKEN_ID now (a leaked token, a retired system)."""
    from import_api.tokens import revoke

    if not revoke(db_session(), token_id):
        raise click.ClickException(f"no token {token_id} (`api list` shows them)")
    click.echo(f"token {token_id} revoked: its system is refused from now on")


@api_cli.command("list")
def list_command() -> None:
    """Every token: id, ministry, whether it may import citizens, label, last use, revoked."""
    from import_api.models import ApiImport, ApiToken

    last_use = select(func.max(ApiImport.started_at)).where(ApiImport.token_id == ApiToken.id).scalar_subquery()
    for token, last_used in db_session().execute(select(ApiToken, last_use).order_by(ApiToken.id)):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        used = f"last used {last_used:%Y-%m-%d %H:%M}" if last_used else "never used"
        citizens = "citizens+programmes" if token.may_import_citizens else "programmes"
        click.echo(f"{token.id}\t{token.ministry_code}\t{citizens}\t{token.label or '-'}\t{used}\t{state}")
