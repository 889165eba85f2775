"""The import contract in pyproject.toml (what `make lint` checks): the project keeps it, and it
catches the breaks it exists for, checked the way `make lint` checks them (lint-imports)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from foundation.config import PROJECT_ROOT

PYPROJECT = PROJECT_ROOT / "pyproject.toml"
CONTRACT = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
# Top-level packages that are not the application: they may import any layer.
OUTSIDE_THE_CONTRACT = {"tests", "benchmarks"}

# Each layer of a well-formed synthetic tree imports the layer just below it.
DOWNWARD_IMPORTS = {
    "sahayata": ["ussd_app", "sms", "staff", "outlet_api", "import_api"],
    "ussd_app": ["notices"],
    "sms": ["notices"],
    "staff": ["notices"],
    "outlet_api": ["notices"],
    "import_api": ["notices"],
    "notices": ["outbound_sms"],
    "outbound_sms": ["monitoring"],
    "monitoring": ["grievance"],
    "grievance": ["registry"],
    "registry": ["foundation"],
    "foundation": [],
}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on `tree` with its pyproject.toml, as `make lint` does (PYTHONPATH=.)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [
        sys.executable,
        "-c",
        "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
        "--no-cache",
        "--no-logo",
        str(tree / "pyproject.toml"),
    ]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def synthetic_tree(root: Path, extra_imports: dict[str, str] | None = None) -> Path:
    """Every root package of the contract as a one-module package importing the layer below, under
    the project's own pyproject.toml; `extra_imports` adds `import <value>` to package <key>."""
    (root / "pyproject.toml").write_bytes(PYPROJECT.read_bytes())
    for package, imported in DOWNWARD_IMPORTS.items():
        lines = [f"import {name}" for name in imported]
        if extra_imports and package in extra_imports:
            lines.append(f"import {extra_imports[package]}")
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        (root / package / "module.py").write_text("\n".join(lines) + "\n")
    return root


def test_the_project_keeps_the_import_contract():
    done = lint_imports(PROJECT_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_application_package_is_under_the_contract():
    packages = {path.parent.name for path in PROJECT_ROOT.glob("*/__init__.py")} - OUTSIDE_THE_CONTRACT
    layered = {name.strip() for layer in CONTRACT["contracts"][0]["layers"] for name in layer.split("|")}
    assert set(CONTRACT["root_packages"]) == packages
    assert layered == packages


def test_a_tree_importing_only_downward_keeps_the_contract(tmp_path):
    done = lint_imports(synthetic_tree(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("importer", "imported", "broken"),
    [
        ("foundation", "staff", "foundation is not allowed to import staff"),
        ("registry", "notices", "registry is not allowed to import notices"),
        ("outbound_sms", "notices", "outbound_sms is not allowed to import notices"),
        ("staff", "sahayata", "staff is not allowed to import sahayata"),
        ("ussd_app", "sms", "ussd_app is not allowed to import sms"),
        ("staff", "ussd_app", "staff is not allowed to import ussd_app"),
    ],
)
def test_an_upward_or_sideways_import_breaks_the_contract(tmp_path, importer, imported, broken):
    done = lint_imports(synthetic_tree(tmp_path, {importer: imported}))
    assert done.returncode != 0
    assert broken in done.stdout
