"""Smoke test of benchmarks/run.py on tiny sizes: the figures' schema only, never a timing."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchload import load_bench

ROOT = Path(__file__).resolve().parent.parent


_load = load_bench


# The notebook-suite figures run every notebook several times: the slowest part, kept in a file of its own
# (tests/test_benchmarks_smoke_notebooks.py) so that `make test`'s workers (one file per worker) share the load.
NOTEBOOK_FIGURES = ("nbval_suite_vs_floor", "notebook_run_all_s", "nbval_suite_vs_imports", "nbval_imports_floor",
                    "nbval_suite_replayed")


def check_quick_run(names):
    """Run the named figures on tiny sizes and check what results.json would hold for each."""
    bench = _load()
    results = bench.run(list(names), quick=True, log=None)
    assert list(results) == list(names)
    for name, r in results.items():
        assert {"value", "target", "unit", "passed", "baseline_s", "measured_s", "rounds"} <= set(r), name
        assert "error" not in r, (name, r.get("error"))
        assert isinstance(r["unit"], str) and r["unit"]
        assert isinstance(r["value"], float) and math.isfinite(r["value"]) and r["value"] > 0
        if r.get("limit"):  # a reported figure with a bound (peak memory, make test-fast's 120 s)
            assert r["passed"] == (r["limit"]["value"] <= r["limit"]["at_most"])
        elif r["target"] is None:
            assert r["passed"] is None
        else:
            assert isinstance(r["passed"], bool) and r["passed"] == (r["value"] <= r["target"])
    json.dumps(results)  # what results.json holds
    assert "figure" in bench.table(results)
    return results


@pytest.mark.slow   # every figure but the drill and the notebook suite's, on tiny sizes
def test_quick_run_schema():
    bench = _load()
    # Everything but the drill (a subprocess of the whole shift: covered by the CLI tests) and the notebooks'.
    names = [n for n in bench.FIGURES if n != "drill_vs_imports" and n not in NOTEBOOK_FIGURES]
    assert set(NOTEBOOK_FIGURES) <= set(bench.FIGURES)   # the other file covers exactly the rest
    results = check_quick_run(names)
    # The chunked correlation found the in-memory incidents before the streamed run was timed.
    assert results["correlate_10m_s"]["grouping_equal_1m"] is True and results["correlate_10m_s"]["limit"]


def test_cli_options_and_imports():
    bench = _load()
    assert bench.runtime_imports() == ["numpy", "pandas", "scipy.stats", "yaml", "pydantic", "jsonschema", "sklearn",
                                      "orjson", "msgspec", "threadpoolctl"]
    frame = bench.make_storm(500)
    assert len(frame) == 500 and set(bench.alerts_mod.FRAME_COLUMNS) <= set(frame.columns)
    assert bench.main(["--only", "burn_90d_vs_rolling", "--quick", "--no-write"]) == 0


def test_storm_file_reads_back(tmp_path):
    bench = _load()
    frame = bench.make_storm(300)
    bench.write_jsonl(frame, tmp_path / "s.jsonl")
    back = bench.alerts_mod.parse_payloads((tmp_path / "s.jsonl").read_text(encoding="utf-8"), "s.jsonl")
    assert len(back) == len(frame)
    assert (back["fingerprint"].to_numpy() == frame["fingerprint"].to_numpy()).all()
    assert (back["received_at"].to_numpy() == frame["received_at"].to_numpy()).all()


@pytest.mark.slow   # every widget built and moved twice (about 20 s)
def test_widget_figures_name_every_widget():
    """widget_update_ms times every widget the notebooks build and names the slowest; gameday_move_ms plays 08's
    game through its panel (tiny: two moves a widget)."""
    bench = _load()
    results = check_quick_run(["widget_update_ms", "gameday_move_ms"])
    from benchmarks import widgets

    table = results["widget_update_ms"]["widgets"]
    assert list(table) == list(widgets.SCRIPTS) and results["widget_update_ms"]["slowest"] in table
    assert results["widget_update_ms"]["value"] == max(r["median_ms"] for r in table.values())
    assert {r["notebook"] for r in table.values()} >= {"00_tour", "01_detect", "03_mitigate", "05_ship", "06_gate",
                                                        "08_game_day", "console"}
    assert results["gameday_move_ms"]["max_ms"] >= results["gameday_move_ms"]["value"]
    assert bench.TARGETS["gameday_move_ms"] == 250.0
