"""CSV imports into the registry: validated, batched, all-or-nothing unless --skip-bad."""

from registry.imports.runner import ImportReport, RowProblem, run_import

__all__ = ["ImportReport", "RowProblem", "run_import"]
