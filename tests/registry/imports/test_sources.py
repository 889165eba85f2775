"""Rows from JSON lines: the same rows as the CSV, through the CLI too."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from registry.imports import sources
from registry.imports.kinds import FieldProblem
from registry.models import Citizen
from tests.registry.conftest import citizen_row


def test_the_cli_imports_json_lines_like_csv(cli, session, tmp_path):
    path = tmp_path / "people.jsonl"
    rows = [citizen_row(), citizen_row(nid="1234567890", gender="M", household_size=4, disability=False)]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    done = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert done.exit_code == 0, done.output
    assert "2 of 2 citizens rows imported" in done.output
    assert sorted(session.scalars(select(Citizen.nid))) == ["1234567890", "1958123456789"]


def test_a_json_line_that_is_no_object_is_a_bad_row_of_its_line(cli, session, tmp_path):
    path = tmp_path / "people.ndjson"
    path.write_text(json.dumps(citizen_row()) + "\n\n[1]\n{not json\n", encoding="utf-8")
    done = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert done.exit_code == 1
    assert "line 3, column : not a JSON object" in done.output and "line 4, column : not a JSON object" in done.output
    assert session.scalars(select(Citizen)).all() == []


def test_a_json_line_past_the_cap_is_a_bad_row_read_in_pieces_and_the_next_line_still_counts(monkeypatch):
    monkeypatch.setattr(sources, "MAX_JSON_LINE", 100)
    asked: list[int] = []

    class Recording(io.StringIO):
        def readline(self, size: int = -1) -> str:
            asked.append(size)
            return super().readline(size)

    long_line = json.dumps({"nid": "1" * 1000}) + "\n"
    handle = Recording(long_line + json.dumps({"nid": "1234567890"}) + "\n", newline="")
    rows = list(sources.json_lines_rows(handle, ["nid"]).rows)
    (first_line, problem), (second_line, row) = rows
    assert first_line == 1 and isinstance(problem, FieldProblem) and "longer than 100 characters" in problem.reason
    assert (second_line, row) == (2, {"nid": "1234567890"})
    assert asked and all(0 < size <= 101 for size in asked)  # never "the rest of the line"


def test_the_cli_names_the_column_of_a_control_character_and_keeps_the_row_in_the_reject_file(cli, session, write_csv):
    path = write_csv("citizens", [citizen_row(name_en="Rahima\x00Begum"), citizen_row(nid="1234567890")])
    done = cli.invoke(args=["registry", "import", "citizens", str(path), "--skip-bad"])
    assert done.exit_code == 0, done.output
    assert "line 2, column name_en: name_en contains a control character (U+0000)" in done.output
    assert sorted(session.scalars(select(Citizen.nid))) == ["1234567890"]
    with open(path.with_name("citizens.rejects.csv"), encoding="utf-8", newline="") as handle:
        [rejected] = list(csv.DictReader(handle))
    assert (rejected["nid"], rejected["name_en"]) == ("1958123456789", "Rahima\ufffdBegum")
    assert rejected["_column"] == "name_en"


def test_the_cli_says_which_line_of_a_csv_cannot_be_read(cli, session, write_csv):
    path = write_csv("citizens", [citizen_row(), citizen_row(nid="1234567890", name_en="x" * 200_000)])
    done = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert done.exit_code == 1
    assert "citizens.csv, line 3 cannot be read as CSV: field larger than field limit (131072)" in done.output
    assert session.scalars(select(Citizen)).all() == []


def test_a_json_key_given_twice_is_a_bad_row_of_the_cli_too(cli, session, tmp_path):
    path = tmp_path / "people.jsonl"
    path.write_text(json.dumps(citizen_row())[:-1] + ', "nid": "1234567890"}\n', encoding="utf-8")
    done = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert done.exit_code == 1
    assert "line 1, column nid: nid appears twice in this object" in done.output
    assert session.scalars(select(Citizen)).all() == []
