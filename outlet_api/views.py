"""`/api/outlets/redemptions`: start, confirm with the code, read one.

Every answer is JSON; a refusal is ``{"error": code, "message": text}`` in the operator's
language with a 4xx status. Another outlet's redemption is 404, as a missing one is, so ids
reveal nothing.

A start or a confirm hands the presented token to the service, whose first statement checks
it (registry.outlets.PresentedToken); the other calls look it up first. Either way a call
whose token is no outlet's hears 401 and nothing else: a refusal found before the token was
checked (a bad body) checks it before it is told. (A path or method no call has is answered
404 or 405 before any of this, as for any URL: it tells only the shape of the API.)
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from foundation.clock import as_utc
from foundation.db import db_session, is_lost_connection
from foundation.headers import with_allow
from foundation.masking import mask_mobile
from outlet_api import wording
from registry import redemptions
from registry.models import Redemption, RedemptionChannel
from registry.outlets import PresentedToken, TokenOutlet, UnknownToken
from registry.redemption_labels import refusal
from registry.redemptions import Reason, Refused

bp = Blueprint("outlet_api", __name__, url_prefix="/api/outlets")
log = logging.getLogger(__name__)

# A start is four short fields; nothing an outlet app sends needs more.
MAX_BODY_BYTES = 2048
CENTS = Decimal("0.01")
MAX_ID = 2**31 - 1  # a larger id is no redemption (and would overflow PostgreSQL's integer)

STATUS_OF = {
    Reason.BAD_BENEFICIARY: 422,
    Reason.NO_WALLET: 422,
    Reason.PROGRAMME_NOT_SERVED: 403,
    Reason.PROGRAMME_NEEDED: 422,
    Reason.BAD_QUANTITY: 422,
    Reason.OVER_BALANCE: 422,
    Reason.WALLET_EXPIRED: 422,
    Reason.OWN_WALLET: 403,
    Reason.PENDING_EXISTS: 409,
    Reason.BAD_REQUEST_ID: 400,
    Reason.REQUEST_ID_REUSED: 409,
    Reason.NOT_FOUND: 404,
    Reason.WRONG_CODE: 422,
    Reason.PAUSED: 429,
    Reason.CANCELLED: 409,
    Reason.EXPIRED: 409,
    Reason.FINISHED: 409,
}


# An outlet app may ask for romanized Bangla (BCP 47 "bn-Latn"), as ASCII-only screens show it.
_LOCALES = {"bn": "bn", "bn-Latn": "bn_Latn", "bn_Latn": "bn_Latn", "en": "en"}


def _locale() -> str:
    requested = request.args.get("lang")
    if requested in _LOCALES:
        return _LOCALES[requested]
    default = current_app.config["SAHAYATA_DEFAULT_LOCALE"]
    best = request.accept_languages.best_match(("bn-Latn", "bn", "en"))
    return _LOCALES.get(best or "", default)


def _error(status: int, code: str, message: str, **extra: Any):
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="outlets"'
    return response


class _Problem(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def _unauthorized():
    return _error(401, "unauthorized", wording.unauthorized(_locale()))


@bp.before_request
def _authenticate():
    request.max_content_length = MAX_BODY_BYTES
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    presented = PresentedToken.of(token.strip()) if scheme.lower() == "bearer" else None
    if presented is None:
        return _unauthorized()
    g.token = presented
    return None


def _checked(token: PresentedToken) -> TokenOutlet:
    """The token's outlet (UnknownToken if none); looked up once more on a fresh connection
    if the pooled one had died (a connection used a moment ago is not pinged first:
    foundation/db.py)."""
    session = db_session()
    try:
        return token.checked(session)
    except DBAPIError as error:
        if not is_lost_connection(error):
            raise
        session.rollback()
        return token.checked(session)


def _outlet() -> TokenOutlet:
    return _checked(g.token)


@bp.errorhandler(UnknownToken)
def _unknown_token(_error: UnknownToken):
    return _unauthorized()


def _refusal(status: int, code: str, message: str, **extra: Any):
    """A refusal, told only to an outlet: its token is checked first if nothing has yet."""
    token: PresentedToken | None = g.get("token")
    if token is not None and token.outlet is None:
        try:
            _checked(token)
        except UnknownToken:
            return _unauthorized()
        except DBAPIError as error:
            return _internal(InternalServerError(original_exception=error), _locale())
    return _error(status, code, message, **extra)


@bp.errorhandler(Refused)
def _refused(refused: Refused):
    extra: dict[str, Any] = {}
    if refused.reason is Reason.PROGRAMME_NEEDED:
        extra["programmes"] = list(refused.programmes)
    if refused.tries_left is not None:
        extra["tries_left"] = refused.tries_left
    status = STATUS_OF[refused.reason]
    return _refusal(status, refused.reason.value, refusal(_locale(), refused), **extra)


@bp.errorhandler(_Problem)
def _problem(problem: _Problem):
    return _refusal(problem.status, problem.code, problem.message)


@bp.errorhandler(HTTPException)
def _http(error: HTTPException):
    return http_error(error)


def http_error(error: HTTPException):
    """The outlet API's answer to an HTTP error, also for those its URL map raises under its
    prefix before the blueprint is chosen (a 405 for another method: sahayata.errors sends
    them here), so an outlet app reads one format whatever went wrong."""
    locale = _locale()
    if isinstance(error, InternalServerError) or (error.code or 500) >= 500:
        return _internal(error, locale)
    if isinstance(error, RequestEntityTooLarge):
        return _refusal(413, "too_large", wording.too_large(locale))
    if error.code == 405:
        return with_allow(_refusal(405, "method_not_allowed", wording.not_allowed(locale)), error)
    if error.code == 404:
        return _refusal(404, "not_found", wording.not_found(locale))
    return _refusal(error.code or 400, "bad_request", wording.bad_body(locale))


@bp.errorhandler(DBAPIError)
def _database(error: DBAPIError):
    # Before the app's own handler for a lost connection: the outlet API answers in its format.
    return _internal(InternalServerError(original_exception=error), _locale())


def _internal(error: HTTPException, locale: str):
    """An unhandled error: the app retries a lost database or Redis (503), and learns nothing
    of what broke either way (the log has it, without the request's body)."""
    original = getattr(error, "original_exception", None)
    lost = isinstance(original, OperationalError | RedisError) or (
        isinstance(original, DBAPIError) and original.connection_invalidated
    )
    if lost:
        log.warning("outlet API unavailable: %s", type(original).__name__)
        return _error(503, "unavailable", wording.unavailable(locale))
    return _error(500, "internal_error", wording.internal_error(locale))


def _body() -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: no object of ours either
        body = None
    if not isinstance(body, dict):
        raise _Problem(400, "bad_body", wording.bad_body(_locale()))
    return body


def _text(body: dict[str, Any], name: str, *, required: bool, max_length: int) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise _Problem(400, "missing_" + name, wording.missing_field(_locale(), name))
        return None
    if isinstance(value, int) and not isinstance(value, bool) and name != "programme":
        value = str(value)
    if not isinstance(value, str) or len(value) > max_length:
        raise _Problem(400, "invalid_" + name, wording.missing_field(_locale(), name))
    return value.strip()


def _amount(value) -> str:
    """Two decimals on every database (SQLite hands back 10, PostgreSQL 10.00)."""
    return str(Decimal(value).quantize(CENTS))


def _view(redemption: Redemption) -> dict[str, Any]:
    return {
        "id": redemption.id,
        "status": redemption.status.value,
        "programme": redemption.programme_code,
        "quantity": _amount(redemption.quantity),
        "unit": redemption.unit,
        "expires_at": as_utc(redemption.code_expires_at).isoformat(),
    }


def _redemption_id(raw: int) -> int:
    if raw > MAX_ID:
        raise Refused(Reason.NOT_FOUND)
    return raw


@bp.post("/redemptions")
def start():
    token: PresentedToken = g.token
    body = _body()
    beneficiary = _text(body, "beneficiary", required=True, max_length=40)
    programme = _text(body, "programme", required=False, max_length=16)
    request_id = _text(body, "request_id", required=False, max_length=64)
    if "quantity" not in body:
        raise _Problem(400, "missing_quantity", wording.missing_field(_locale(), "quantity"))
    quantity = redemptions.parse_quantity(body["quantity"])
    started = redemptions.start(
        db_session(),
        token,
        None,  # the outlet's registered operator
        beneficiary or "",
        quantity,
        programme,
        RedemptionChannel.API,
        request_id=request_id,
    )
    if started.created:
        log.info(
            "outlet %s started redemption %s (operator %s)",
            token.outlet.code if token.outlet else "?",
            started.redemption.id,
            mask_mobile(started.redemption.operator_mobile),
        )
    return jsonify(_view(started.redemption)), 201 if started.created else 200


@bp.post("/redemptions/<int:redemption_id>/confirm")
def confirm(redemption_id: int):
    token: PresentedToken = g.token
    body = _body()
    code = _text(body, "code", required=True, max_length=12)
    confirmed = redemptions.confirm_code(db_session(), token, _redemption_id(redemption_id), code or "")
    return jsonify(
        id=redemption_id, status=confirmed.status.value, balance=_amount(confirmed.balance_left), unit=confirmed.unit
    )


@bp.get("/redemptions/<int:redemption_id>")
def show(redemption_id: int):
    redemption = redemptions.get_for_outlet(db_session(), _outlet(), _redemption_id(redemption_id))
    view = _view(redemption)
    view["tries_left"] = redemptions.MAX_WRONG_CODES - redemption.wrong_codes
    return jsonify(view)


@bp.get("/today")
def today():
    """Today's completed redemptions of this outlet (Dhaka date), per programme."""
    totals = redemptions.today_totals(db_session(), _outlet())
    return jsonify(
        totals=[
            {
                "programme": t.programme_code,
                "unit": t.unit,
                "redemptions": t.redemptions,
                "quantity": _amount(t.quantity),
            }
            for t in totals
        ]
    )
