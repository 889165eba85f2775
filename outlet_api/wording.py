"""What the API says when it refuses, in the operator's language (Accept-Language bn or en);
a refused redemption is worded by registry.redemption_labels, as on every channel."""

from __future__ import annotations

from foundation.i18n import translate


def unauthorized(locale: str) -> str:
    return translate(locale, "A valid outlet token is needed (Authorization: Bearer).")


def bad_body(locale: str) -> str:
    return translate(locale, "The body must be a JSON object.")


def missing_field(locale: str, name: str) -> str:
    return translate(locale, "The field %(field)s is missing or not valid.", field=name)


def too_large(locale: str) -> str:
    return translate(locale, "The request is too large.")


def not_found(locale: str) -> str:
    return translate(locale, "Not found.")


def not_allowed(locale: str) -> str:
    return translate(locale, "This method is not allowed here.")


def unavailable(locale: str) -> str:
    return translate(locale, "The outlet service is unavailable just now. Please try again in a minute.")


def internal_error(locale: str) -> str:
    return translate(locale, "The outlet service could not answer this request. Please try again later.")
