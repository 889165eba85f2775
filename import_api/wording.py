"""What the import API says, in the caller's language (Accept-Language bn or en). The
reasons given for bad rows are the importer's, the same as the CLI prints."""

from __future__ import annotations

from foundation.i18n import translate


def unauthorized(locale: str) -> str:
    return translate(locale, "A valid import token is needed (Authorization: Bearer).")


def forbidden_citizens(locale: str) -> str:
    return translate(locale, "This token may not import citizens: they are shared registry data.")


def unknown_kind(locale: str, kinds: str) -> str:
    return translate(locale, "There is no such import. Use one of: %(kinds)s.", kinds=kinds)


def unsupported_media_type(locale: str) -> str:
    # The media types and the encoding are names, the same in every language.
    return translate(
        locale,
        "Send %(csv)s or %(json_lines)s, in %(encoding)s and not compressed.",
        csv="text/csv",
        json_lines="application/x-ndjson",
        encoding="UTF-8",
    )


def busy(locale: str) -> str:
    return translate(locale, "An import with this token is still running. Try again when it has finished.")


def too_large(locale: str, limit: int) -> str:
    return translate(locale, "The file is larger than %(limit)s bytes. Send it in parts.", limit=limit)


def invalid_rows(locale: str, count: int) -> str:
    return translate(locale, "%(count)s problem(s) found: nothing was imported.", count=count)


def not_allowed(locale: str) -> str:
    return translate(locale, "This method is not allowed here.")


def bad_request(locale: str) -> str:
    return translate(locale, "The request could not be understood.")


def unavailable(locale: str) -> str:
    return translate(locale, "The import service is unavailable just now. Please try again in a minute.")


def internal_error(locale: str) -> str:
    return translate(locale, "The import could not be finished. Please try again later.")
