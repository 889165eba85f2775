"""Rows from JSON lines: the same rows as the CSV, through the CLI too."""

from __future__ import annotations

import json

from sqlalchemy import select

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
