"""benchmarks/run.py as a module, loaded once for the tests that check its figures or reuse its storm generator."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_bench():
    if "bench_run" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["bench_run"] = mod  # dataclasses look their module up there
        spec.loader.exec_module(mod)
    return sys.modules["bench_run"]
