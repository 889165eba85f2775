"""The Signals page's words: each signal's title and summary and each column's heading, in
the staff user's language. The monitoring package's docstrings stay the precise (English)
definition, shown under each summary; these are what a reader scans."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TITLES = {
    "outlets": _l("Signals: outlets"),
    "confirmations_by_channel": _l("Signals: payment confirmations by channel"),
    "confirmations_by_district": _l("Signals: payment confirmations by district"),
    "confirmations_by_account": _l("Signals: payment confirmations by paying account"),
    "shared_accounts": _l("Signals: one account paid for several households"),
    "shared_account_members": _l("Signals: enrolments paid into a shared account"),
    "exclusive_programmes": _l("Signals: one person in programmes that exclude each other"),
    "likely_duplicates": _l("Signals: likely duplicate people"),
    "targeting": _l("Signals: exclusion and inclusion estimates"),
    "targeting_people": _l("Signals: people excluded or included in error"),
}

SUMMARIES = {
    "outlets": _l(
        "Per outlet: redemptions, disputed share, wrong codes, night hand-overs, people from another upazila, bursts."
    ),
    "confirmations_by_channel": _l("How many beneficiaries asked confirmed or denied a payment, per payment channel."),
    "confirmations_by_district": _l("How many beneficiaries asked confirmed or denied a payment, per district."),
    "confirmations_by_account": _l("Confirmations and denials per paying account (numbers masked)."),
    "shared_accounts": _l("Accounts or mobile wallets paid for three or more households."),
    "shared_account_members": _l("Every enrolment paid into such an account (identifiers masked)."),
    "exclusive_programmes": _l("People enrolled in two programmes meant to exclude each other."),
    "likely_duplicates": _l("The same name, date of birth and upazila under different NIDs."),
    "targeting": _l("Per upazila and programme: eligible but not enrolled, enrolled but no longer eligible."),
    "targeting_people": _l("The people behind those estimates (NIDs masked)."),
}

COLUMNS = {
    "outlet": _l("Signals column: outlet"),
    "name": _l("Signals column: name"),
    "kind": _l("Signals column: kind"),
    "district": _l("Signals column: district"),
    "upazila": _l("Signals column: upazila"),
    "unit": _l("Signals column: unit"),
    "redemptions": _l("Signals column: redemptions"),
    "volume": _l("Signals column: volume"),
    "disputed": _l("Signals column: disputed"),
    "disputed_share": _l("Signals column: disputed share"),
    "wrong_codes": _l("Signals column: wrong codes"),
    "cancelled": _l("Signals column: cancelled"),
    "night": _l("Signals column: at night"),
    "outside_upazila": _l("Signals column: from another upazila"),
    "bursts": _l("Signals column: bursts"),
    "channel": _l("Signals column: channel"),
    "asked": _l("Signals column: asked"),
    "answered": _l("Signals column: answered"),
    "confirmed": _l("Signals column: confirmed"),
    "denied": _l("Signals column: denied"),
    "confirmation_rate": _l("Signals column: confirmation rate"),
    "denial_rate": _l("Signals column: denial rate"),
    "account": _l("Signals column: account"),
    "households": _l("Signals column: households"),
    "people": _l("Signals column: people"),
    "programmes": _l("Signals column: programmes"),
    "upazilas": _l("Signals column: upazilas"),
    "nid": _l("Signals column: NID"),
    "household_id": _l("Signals column: household"),
    "programme": _l("Signals column: programme"),
    "programme_a": _l("Signals column: programme A"),
    "programme_b": _l("Signals column: programme B"),
    "rule_status": _l("Signals column: rule status"),
    "group": _l("Signals column: group"),
    "matched_on": _l("Signals column: matched on"),
    "name_en": _l("Signals column: name (English)"),
    "name_bn": _l("Signals column: name (Bangla)"),
    "date_of_birth": _l("Signals column: date of birth"),
    "mobile": _l("Signals column: mobile"),
    "eligible": _l("Signals column: eligible"),
    "enrolled": _l("Signals column: enrolled"),
    "excluded": _l("Signals column: excluded"),
    "included": _l("Signals column: included"),
    "exclusion_rate": _l("Signals column: exclusion rate"),
    "inclusion_rate": _l("Signals column: inclusion rate"),
    "finding": _l("Signals column: finding"),
}


def title(name: str) -> str:
    return str(TITLES.get(name, name))


def summary(name: str) -> str:
    return str(SUMMARIES.get(name, ""))


def column(name: str) -> str:
    return str(COLUMNS.get(name, name))
