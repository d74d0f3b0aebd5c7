"""Smoke test of benchmarks/run.py's notebook-suite figures on tiny sizes: the schema only, never a timing."""
from __future__ import annotations

import pytest

from test_benchmarks_smoke import NOTEBOOK_FIGURES, check_quick_run


@pytest.mark.slow   # runs every notebook several times
def test_quick_run_schema_notebooks():
    results = check_quick_run(NOTEBOOK_FIGURES)
    # The replayed suite really served 00_tour's shift runs from its store (and passed nbval doing so).
    assert results["nbval_suite_replayed"]["shift_runs_stored"] >= 1
