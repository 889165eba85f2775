"""Frictionless Table Schemas of the import kinds (docs/schemas/<kind>.schema.json): what
a ministry can check a file against before sending it.

Built from the importer itself: the columns and their order are each kind's ``columns``,
the choices the same constants the validators look values up in, the patterns those of
registry.validation, the programme codes the seed's. tests/registry/test_table_schemas.py
compares the files with what this builds; after changing a kind or a validator, write them
again with ``python -m registry.imports.table_schemas``.

A schema checks each cell on its own, in the canonical form (ASCII digits, ISO dates). The
importer also takes Bangla digits, spaces inside an NID and other ways of writing a mobile,
and checks what no schema can: that places, citizens and outlets exist, and rules across
fields (a credited payment needs its txn_id and paid_on). Frictionless table-schema
reference: https://specs.frictionlessdata.io/table-schema/
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from registry import validation as v
from registry.imports import kinds as k
from registry.reference_data import SEED_DIR

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"
PRIMARY_KEYS: dict[str, list[str]] = {
    "citizens": ["nid"],
    "enrolments": ["nid", "programme"],
    "payments": ["nid", "programme", "cycle"],
    "etokens": ["nid", "programme"],
    "outlets": ["code"],
}
_REGEX_SPECIALS = set(".^$*+?()[]{}|\\-")


def any_case(word: str) -> str:
    """A pattern matching ``word`` in any letter case, in the regular expressions Table
    Schema uses (XML Schema's: character classes, no inline flags)."""
    out = []
    for char in word:
        if char.lower() != char.upper():
            out.append(f"[{char.upper()}{char.lower()}]")
        else:
            out.append("\\" + char if char in _REGEX_SPECIALS else char)
    return "".join(out)


def one_of(words: list[str]) -> str:
    return "(" + "|".join(any_case(word) for word in sorted(words)) + ")"


def choice_pattern(choices: dict[str, Any]) -> str:
    """What parse_choice accepts: any key of ``choices``, in any case ("" is no choice)."""
    return one_of([key for key in choices if key])


def programme_codes(etoken_only: bool = False) -> list[str]:
    with open(SEED_DIR / "programmes.csv", encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle) if not etoken_only or row["benefit_type"] == "etoken"]


def programme_list_pattern(codes: list[str]) -> str:
    """Codes separated by ";" (spaces and empty parts allowed, at least one code), as the
    outlets import splits them."""
    code = one_of(codes)
    return f"(\\s*;)*\\s*{code}\\s*(;\\s*({code}\\s*)?)*"


NID_PATTERN = "(" + "|".join(f"[0-9]{{{length}}}" for length in v.NID_LENGTHS) + ")"
MOBILE_PATTERN = v._COMMON_BD_MOBILE.pattern.replace("(?:", "(")
CYCLE_PATTERN = v._CYCLE.pattern
OUTLET_CODE_PATTERN = k.OUTLET_CODE.pattern.replace("A-Z", "A-Za-z")  # the importer upper-cases first
BOOLEAN_PATTERN = one_of([word for word in (*v._TRUE, *v._FALSE) if word])


def _field(name: str, kind: str = "string", description: str = "", **constraints: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": kind}
    if kind == "date":
        field["format"] = "default"  # ISO 8601, YYYY-MM-DD
    if kind == "number":
        field["groupChar"] = ","  # the importer drops thousands separators too
    if description:
        field["description"] = description
    field["constraints"] = {key: value for key, value in constraints.items() if value is not None}
    return field


def _text(name: str, max_length: int, required: bool = True) -> dict[str, Any]:
    return _field(name, required=required, maxLength=max_length)


def _choice(name: str, choices: dict[str, Any]) -> dict[str, Any]:
    values = ", ".join(sorted(key for key in choices if key))
    return _field(
        name, description=f"one of: {values} (any case)", required="" not in choices, pattern=choice_pattern(choices)
    )


def _place(name: str) -> dict[str, Any]:
    where = "" if name == "district" else " of the district"
    return _field(name, description=f"a {name}{where}: its name in English or Bangla, code or geo-code", required=True)


def _nid() -> dict[str, Any]:
    return _field("nid", description="National ID: 10, 13 or 17 digits", required=True, pattern=NID_PATTERN)


def _programme() -> dict[str, Any]:
    return _field("programme", description="a programme code", required=True, pattern=one_of(programme_codes()))


def _amount(name: str) -> dict[str, Any]:
    return _field(name, "number", required=True, minimum=0, maximum=int(k.AMOUNT_LIMIT))


def _fields(kind: str) -> dict[str, dict[str, Any]]:
    if kind == "citizens":
        return {
            "nid": _nid(),
            "name_en": _text("name_en", 120),
            "name_bn": _text("name_bn", 120),
            "date_of_birth": _field("date_of_birth", "date", required=True, minimum="1900-01-01"),
            "gender": _choice("gender", k.GENDERS),
            "mobile": _field("mobile", description="a Bangladeshi mobile, or empty", pattern=MOBILE_PATTERN),
            "district": _place("district"),
            "upazila": _place("upazila"),
            "household_id": _text("household_id", 40),
            "household_size": _field("household_size", "integer", required=True, minimum=1, maximum=40),
            "monthly_income_bdt": _field(
                "monthly_income_bdt", "number", required=True, minimum=0, maximum=int(k.INCOME_LIMIT)
            ),
            "land_decimal": _field("land_decimal", "number", required=True, minimum=0, maximum=int(k.LAND_LIMIT)),
            "disability": _field("disability", description="yes or no (1 or 0); empty is no", pattern=BOOLEAN_PATTERN),
            "marital_status": _choice("marital_status", k.MARITAL_STATUSES),
            "language": _choice("language", k.LANGUAGES),
        }
    if kind == "enrolments":
        return {
            "nid": _nid(),
            "programme": _programme(),
            "status": _choice("status", k.ENROLMENT_STATUSES),
            "enrolled_on": _field("enrolled_on", "date", required=True, minimum="1900-01-01"),
            "payment_channel": _choice("payment_channel", k.OPTIONAL_CHANNELS),
            "account_number": _text("account_number", 34, required=False),
        }
    if kind == "payments":
        return {
            "nid": _nid(),
            "programme": _programme(),
            "cycle": _field("cycle", description="the month paid for, YYYY-MM", required=True, pattern=CYCLE_PATTERN),
            "amount_bdt": _amount("amount_bdt"),
            "status": _choice("status", k.PAYMENT_STATUSES),
            "paid_on": _field("paid_on", "date", description="required once sent or credited", minimum="1900-01-01"),
            "channel": _choice("channel", k.OPTIONAL_CHANNELS),
            "txn_id": _field("txn_id", description="required once sent or credited", maxLength=40, unique=True),
            "failure_reason": _field("failure_reason", description="required if failed or returned", maxLength=200),
        }
    if kind == "etokens":
        return {
            "nid": _nid(),
            "programme": _programme(),
            "balance": _amount("balance"),
            "unit": _text("unit", 40),
            "expires_on": _field("expires_on", "date", minimum="1900-01-01"),
        }
    if kind == "outlets":
        etoken = programme_codes(etoken_only=True)
        return {
            "code": _field(
                "code", description="up to 32 letters, digits, - or _", required=True, pattern=OUTLET_CODE_PATTERN
            ),
            "name_en": _text("name_en", 200),
            "name_bn": _text("name_bn", 200),
            "kind": _choice("kind", k.OUTLET_KINDS),
            "programmes": _field(
                "programmes",
                description="e-token programme codes separated by ; (e.g. FFP;VGF)",
                required=True,
                pattern=programme_list_pattern(etoken),
            ),
            "district": _place("district"),
            "upazila": _place("upazila"),
            "operator_mobile": _field(
                "operator_mobile", description="a Bangladeshi mobile", required=True, pattern=MOBILE_PATTERN
            ),
        }
    raise KeyError(kind)


def table_schema(kind: str) -> dict[str, Any]:
    """The Table Schema of one import kind, its fields in the kind's column order."""
    fields = _fields(kind)
    columns = k.KINDS[kind].columns
    if list(fields) != list(columns):
        raise AssertionError(
            f"{kind}: the schema's fields {list(fields)} are not the importer's columns {list(columns)}"
        )
    return {
        "fields": [fields[column] for column in columns],
        "missingValues": [""],
        "primaryKey": PRIMARY_KEYS[kind],
    }


def schema_text(kind: str) -> str:
    return json.dumps(table_schema(kind), ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in k.KINDS:
        path = folder / f"{kind}.schema.json"
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)
