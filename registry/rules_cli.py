"""`flask --app wsgi registry rules export|import|history`: eligibility rules as a file."""

from __future__ import annotations

from flask.cli import AppGroup

from foundation.rules_cli import add_rules_commands
from registry import rules_files
from registry.eligibility.engine import RULES_KIND

rules_cli = AppGroup("rules", help="Eligibility rules: export them, import a changed file (dated, recorded).")

add_rules_commands(
    rules_cli,
    RULES_KIND,
    export=rules_files.export_rules,
    plan=rules_files.plan_import,
    apply=rules_files.apply_import,
    after_commit=rules_files.after_commit,
)
