"""docs/schemas/<kind>.schema.json: equal to what the importer accepts, and `frictionless
validate` (the guide's command) finds the demo files valid and a bad file's errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from registry.demo import DemoGenerator
from registry.imports import kinds as k
from registry.imports import run_import
from registry.imports.table_schemas import SCHEMA_DIR, choice_pattern, schema_text, table_schema
from tests.registry.conftest import citizen_row

FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))
CHOICES = {
    ("citizens", "gender"): k.GENDERS,
    ("citizens", "marital_status"): k.MARITAL_STATUSES,
    ("citizens", "language"): k.LANGUAGES,
    ("enrolments", "status"): k.ENROLMENT_STATUSES,
    ("enrolments", "payment_channel"): k.OPTIONAL_CHANNELS,
    ("payments", "status"): k.PAYMENT_STATUSES,
    ("payments", "channel"): k.OPTIONAL_CHANNELS,
    ("outlets", "kind"): k.OUTLET_KINDS,
}


def validate(kind: str, path: Path) -> dict:
    """`frictionless validate --schema docs/schemas/KIND.schema.json FILE`, its JSON report."""
    done = subprocess.run(
        [
            FRICTIONLESS,
            "validate",
            "--trusted",
            "--json",
            "--schema",
            str(SCHEMA_DIR / f"{kind}.schema.json"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(done.stdout)


def errors(report: dict) -> list[tuple[int, str]]:
    """(line in the file, column) of each error: frictionless counts rows from the header's line 1."""
    return [(error["rowNumber"], error.get("fieldName", "")) for task in report["tasks"] for error in task["errors"]]


@pytest.mark.parametrize("kind", list(k.KINDS))
def test_each_schema_file_is_what_the_importer_describes(kind):
    path = SCHEMA_DIR / f"{kind}.schema.json"
    assert path.read_text(encoding="utf-8") == schema_text(kind), "run: python -m registry.imports.table_schemas"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert [field["name"] for field in schema["fields"]] == list(k.KINDS[kind].columns)


@pytest.mark.parametrize(("kind", "column"), list(CHOICES))
def test_a_choice_column_accepts_exactly_the_validators_choices_in_any_case(kind, column):
    choices = CHOICES[(kind, column)]
    field = next(f for f in table_schema(kind)["fields"] if f["name"] == column)
    assert field["constraints"]["pattern"] == choice_pattern(choices)
    assert field["constraints"]["required"] is ("" not in choices)
    compiled = re.compile(f"^{field['constraints']['pattern']}$")  # as frictionless compiles it
    for key in choices:
        if key:
            assert compiled.match(key) and compiled.match(key.upper())
    assert not compiled.match("nonsense") and not compiled.match(next(key for key in choices if key) + "x")


def test_the_demo_files_are_valid(session, tmp_path, write_csv):
    paths, _ = DemoGenerator(session, seed=3).write_files(300, tmp_path)
    paths["outlets"] = write_csv(
        "outlets",
        [
            {
                "code": "demo-dealer-1",
                "name_en": "Demo rice dealer",
                "name_bn": "ডেমো চাল ডিলার",
                "kind": "food_dealer",
                "programmes": "FFP; VGF",
                "district": "Cumilla",
                "upazila": "Debidwar",
                "operator_mobile": "+8801591000001",
            }
        ],
    )
    for kind, path in paths.items():
        report = validate(kind, path)
        assert report["valid"], (kind, errors(report))


def test_a_bad_file_has_its_errors_found_where_the_importer_finds_them(session, tmp_path, write_csv):
    bad = [
        citizen_row(),
        citizen_row(nid="12345", household_id="H2"),  # line 3
        citizen_row(nid="1958123456780", gender="woman", household_id="H3"),  # line 4
        citizen_row(nid="1958123456781", date_of_birth="1958-02-30", household_id="H4"),  # line 5
        citizen_row(nid="1958123456782", mobile="12345", household_id="H5"),  # line 6
        citizen_row(nid="1958123456783", household_size="0", household_id="H6"),  # line 7
        citizen_row(nid="1958123456784", disability="maybe", household_id="H7"),  # line 8
        citizen_row(nid="1958123456785", name_en="", household_id="H8"),  # line 9
        citizen_row(household_id="H9"),  # line 10: the NID of line 2 again
    ]
    path = write_csv("citizens", bad)
    report = validate("citizens", path)
    assert not report["valid"]
    found = set(errors(report))
    importer = run_import(session, "citizens", path)
    assert not importer.committed
    expected = {(p.line, p.column) for p in importer.problems}
    assert expected == {
        (3, "nid"),
        (4, "gender"),
        (5, "date_of_birth"),
        (6, "mobile"),
        (7, "household_size"),
        (8, "disability"),
        (9, "name_en"),
        (10, "nid"),
    }
    # frictionless names a repeated primary key without a field; every other error is the importer's.
    assert {(line, column) for line, column in found if column} | {(10, "nid")} == expected


def test_the_guide_shows_the_command_for_each_kind():
    guide = (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    assert "frictionless validate --schema docs/schemas/payments.schema.json payments.csv" in guide
    for kind in k.KINDS:
        assert f"{kind}.schema.json" in guide
