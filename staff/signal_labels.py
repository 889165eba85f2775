"""The Signals page's words: each signal's title and summary and each column's heading, in
the staff user's language. The monitoring package's docstrings stay the precise (English)
definition, shown under each summary; these are what a reader scans."""

from __future__ import annotations

from flask_babel import lazy_gettext

TITLES = {
    "outlets": lazy_gettext("Signals: outlets"),
    "confirmations_by_channel": lazy_gettext("Signals: payment confirmations by channel"),
    "confirmations_by_district": lazy_gettext("Signals: payment confirmations by district"),
    "confirmations_by_account": lazy_gettext("Signals: payment confirmations by paying account"),
    "shared_accounts": lazy_gettext("Signals: one account paid for several households"),
    "shared_account_members": lazy_gettext("Signals: enrolments paid into a shared account"),
    "exclusive_programmes": lazy_gettext("Signals: one person in programmes that exclude each other"),
    "likely_duplicates": lazy_gettext("Signals: likely duplicate people"),
    "targeting": lazy_gettext("Signals: exclusion and inclusion estimates"),
    "targeting_people": lazy_gettext("Signals: people excluded or included in error"),
}

SUMMARIES = {
    "outlets": lazy_gettext(
        "Per outlet: redemptions, disputed share, wrong codes, night hand-overs, people from another upazila, bursts."
    ),
    "confirmations_by_channel": lazy_gettext(
        "How many beneficiaries asked confirmed or denied a payment, per payment channel."
    ),
    "confirmations_by_district": lazy_gettext(
        "How many beneficiaries asked confirmed or denied a payment, per district."
    ),
    "confirmations_by_account": lazy_gettext("Confirmations and denials per paying account (numbers masked)."),
    "shared_accounts": lazy_gettext("Accounts or mobile wallets paid for three or more households."),
    "shared_account_members": lazy_gettext("Every enrolment paid into such an account (identifiers masked)."),
    "exclusive_programmes": lazy_gettext("People enrolled in two programmes meant to exclude each other."),
    "likely_duplicates": lazy_gettext("The same name, date of birth and upazila under different NIDs."),
    "targeting": lazy_gettext("Per upazila and programme: eligible but not enrolled, enrolled but no longer eligible."),
    "targeting_people": lazy_gettext("The people behind those estimates (NIDs masked)."),
}

COLUMNS = {
    "outlet": lazy_gettext("Signals column: outlet"),
    "name": lazy_gettext("Signals column: name"),
    "kind": lazy_gettext("Signals column: kind"),
    "district": lazy_gettext("Signals column: district"),
    "upazila": lazy_gettext("Signals column: upazila"),
    "unit": lazy_gettext("Signals column: unit"),
    "redemptions": lazy_gettext("Signals column: redemptions"),
    "volume": lazy_gettext("Signals column: volume"),
    "disputed": lazy_gettext("Signals column: disputed"),
    "disputed_share": lazy_gettext("Signals column: disputed share"),
    "wrong_codes": lazy_gettext("Signals column: wrong codes"),
    "cancelled": lazy_gettext("Signals column: cancelled"),
    "night": lazy_gettext("Signals column: at night"),
    "outside_upazila": lazy_gettext("Signals column: from another upazila"),
    "bursts": lazy_gettext("Signals column: bursts"),
    "channel": lazy_gettext("Signals column: channel"),
    "asked": lazy_gettext("Signals column: asked"),
    "answered": lazy_gettext("Signals column: answered"),
    "confirmed": lazy_gettext("Signals column: confirmed"),
    "denied": lazy_gettext("Signals column: denied"),
    "confirmation_rate": lazy_gettext("Signals column: confirmation rate"),
    "denial_rate": lazy_gettext("Signals column: denial rate"),
    "account": lazy_gettext("Signals column: account"),
    "households": lazy_gettext("Signals column: households"),
    "people": lazy_gettext("Signals column: people"),
    "programmes": lazy_gettext("Signals column: programmes"),
    "upazilas": lazy_gettext("Signals column: upazilas"),
    "nid": lazy_gettext("Signals column: NID"),
    "household_id": lazy_gettext("Signals column: household"),
    "programme": lazy_gettext("Signals column: programme"),
    "programme_a": lazy_gettext("Signals column: programme A"),
    "programme_b": lazy_gettext("Signals column: programme B"),
    "rule_status": lazy_gettext("Signals column: rule status"),
    "group": lazy_gettext("Signals column: group"),
    "matched_on": lazy_gettext("Signals column: matched on"),
    "name_en": lazy_gettext("Signals column: name (English)"),
    "name_bn": lazy_gettext("Signals column: name (Bangla)"),
    "date_of_birth": lazy_gettext("Signals column: date of birth"),
    "mobile": lazy_gettext("Signals column: mobile"),
    "eligible": lazy_gettext("Signals column: eligible"),
    "enrolled": lazy_gettext("Signals column: enrolled"),
    "excluded": lazy_gettext("Signals column: excluded"),
    "included": lazy_gettext("Signals column: included"),
    "exclusion_rate": lazy_gettext("Signals column: exclusion rate"),
    "inclusion_rate": lazy_gettext("Signals column: inclusion rate"),
    "finding": lazy_gettext("Signals column: finding"),
}


def title(name: str) -> str:
    return str(TITLES.get(name, name))


def summary(name: str) -> str:
    return str(SUMMARIES.get(name, ""))


def column(name: str) -> str:
    return str(COLUMNS.get(name, name))
