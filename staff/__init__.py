"""The staff workspace: ministry queues, case work, dashboards and open data."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from foundation.i18n import prefer_locale_on

# Checked by the staff blueprint on every form post; the USSD and SMS gateways, which
# machines call, are not forms and have their own checks.
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    from staff import auth
    from staff.opendata import bp as open_data_bp
    from staff.views import bp as staff_bp

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day on one page
    csrf.init_app(app)
    _label_filters(app)
    auth.init_app(app)
    app.register_blueprint(staff_bp)
    prefer_locale_on(app, "staff", _signed_in_users_language)
    # Case pages, the phone reveal and CSV exports carry personal data: never cached. The
    # stylesheet may be.
    app.after_request_funcs.setdefault("staff", []).append(_no_store_but_static)
    app.register_blueprint(open_data_bp)


def _signed_in_users_language() -> str | None:
    from flask_login import current_user

    return current_user.language if current_user and current_user.is_authenticated else None


def _no_store_but_static(response):
    from flask import request

    from foundation.headers import no_store

    return response if request.endpoint == "staff.static" else no_store(response)


def _label_filters(app: Flask) -> None:
    """``{{ g.status|status_label }}``: statuses and categories in the page's language;
    ``{{ g.tracking_number|digits }}``: digits in the page's script; ``{{ g.due_at|day }}``:
    a day as Dhaka's calendar has it."""
    from flask_babel import get_locale

    from foundation.wording import wording
    from grievance.labels import category_label, status_label
    from staff.local_time import local_day

    app.jinja_env.filters["status_label"] = lambda status: status_label(str(get_locale()), status)
    app.jinja_env.filters["category_label"] = lambda category: category_label(str(get_locale()), category)
    app.jinja_env.filters["digits"] = lambda text: wording(str(get_locale())).digits(str(text or ""))
    app.jinja_env.filters["day"] = lambda moment: local_day(moment, str(get_locale()))
