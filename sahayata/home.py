"""GET /: what this service is, in Bangla and English, and where its parts are.

The composition root's page: it only links to the channels (the simulator only where it is
enabled, i.e. in development), so it imports none of them.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("home", __name__, template_folder="templates")

LANGUAGES = ("bn", "en")


def _texts(locale: str, ussd_code: str) -> dict[str, str]:
    from foundation.i18n import to_bengali_digits, translate

    code = to_bengali_digits(ussd_code) if locale == "bn" else ussd_code
    return {
        "name": translate(locale, "Sahayata"),
        "about": translate(
            locale,
            "Sahayata answers citizens about social protection programmes: eligibility, payments, "
            "e-tokens and complaints.",
        ),
        "how": translate(locale, "Dial %(code)s from any mobile phone, or send an SMS.", code=code),
        "staff": translate(locale, "Staff workspace"),
        "open_data": translate(locale, "Open data"),
        "simulator": translate(locale, "USSD and SMS simulator (development only)"),
    }


@bp.get("/")
def home():
    ussd_code = current_app.config["SAHAYATA_USSD_CODE"]
    return render_template(
        "home.html",
        texts={locale: _texts(locale, ussd_code) for locale in LANGUAGES},
        simulator=current_app.config["SAHAYATA_SIMULATOR"],
    )
