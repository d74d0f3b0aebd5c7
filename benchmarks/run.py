"""The project's speed figures (``make bench``): each a ratio against a baseline measured side by side.

Run from the repository root:  .venv/bin/python benchmarks/run.py [--only NAME] [--quick] [--no-write]

Every figure times its baseline and its measured code alternately in the same process (or the same parent,
for subprocesses), ``rounds`` times, and reports median(measured) / median(baseline), so a slow or busy
machine moves both sides together. Prints a table and writes ``benchmarks/results.json``: per figure
``value``, ``target``, ``unit``, ``passed``, ``baseline_s``, ``measured_s``, ``rounds`` and the sizes used.
``--quick`` runs tiny sizes (a smoke test; its values mean nothing). Nothing here asserts a timing in tests.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402,F401  (the names tests and figures use)
    _TMP, Figure, Sizes, alerts_mod, cleanup, corr, make_storm, ratio_figure, side_by_side, storm, storm_file,
    write_jsonl, _round, _run, _shipped,
)

RESULTS = ROOT / "benchmarks" / "results.json"
# A distribution name in pyproject.toml -> the module `oncall drill` actually imports.
IMPORT_NAMES = {"scikit-learn": "sklearn", "pyyaml": "yaml", "scipy": "scipy.stats"}


# ---------------------------------------------------------------- figures

def runtime_imports() -> list[str]:
    """The runtime libraries pyproject.toml declares, as the modules the drill imports."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = [re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0].lower() for d in deps]
    return [IMPORT_NAMES.get(n, n.replace("-", "_")) for n in names]


def fig_drill_vs_imports(sizes: Sizes) -> Figure:
    """`oncall drill --json` (a subprocess) / a bare `python -c "import <runtime libraries>"`."""
    mods = runtime_imports()
    base = [sys.executable, "-c", "import " + ", ".join(mods)]
    drill = [sys.executable, "-m", "oncall", "drill", "--json"]
    return ratio_figure("drill_vs_imports", TARGETS["drill_vs_imports"], UNITS["drill_vs_imports"],
                        " ".join(base[1:]), "python -m oncall drill --json",
                        lambda: _run(base), lambda: _run(drill, ok=(0, 1)),  # 1 = the gate's verdict
                        sizes.rounds_fast, imports=mods)


def _correlate_once(frame, cfg, topo):
    return corr.correlate(frame, cfg, topo)


def _pandas_baseline(frame):
    return frame.sort_values("starts_at").groupby(["service", "alertname"]).size()


def fig_correlate_vs_pandas(sizes: Sizes) -> Figure:
    """correlate() on the storm / sort + groupby-size on the same frame."""
    frame, (cfg, topo) = storm(sizes.alerts), _shipped()
    return ratio_figure("correlate_1m_vs_pandas", TARGETS["correlate_1m_vs_pandas"], UNITS["correlate_1m_vs_pandas"],
                        'frame.sort_values("starts_at").groupby(["service", "alertname"]).size()',
                        "correlate(frame, shipped config, shipped topology)",
                        lambda: _pandas_baseline(frame), lambda: _correlate_once(frame, cfg, topo),
                        sizes.rounds_corr, rows=len(frame))


def fig_correlate_growth(sizes: Sizes) -> Figure:
    """correlate() on 10x the alerts / on 1x (both storms from the same generator)."""
    small, large, (cfg, topo) = storm(sizes.alerts_small), storm(sizes.alerts), _shipped()
    return ratio_figure("correlate_growth_10x", TARGETS["correlate_growth_10x"], UNITS["correlate_growth_10x"],
                        f"correlate on {len(small):,} rows", f"correlate on {len(large):,} rows",
                        lambda: _correlate_once(small, cfg, topo), lambda: _correlate_once(large, cfg, topo),
                        sizes.rounds_corr, rows_small=len(small), rows_large=len(large))


def fig_parse_vs_json(sizes: Sizes) -> Figure:
    """alerts.parse_file of a JSON Lines file (into the correlator's frame) / json.loads of each of its lines."""
    n = sizes.alerts
    path, n_bytes = storm_file(n)

    def baseline():
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def measured():  # the file read in chunks, never whole (parse_payloads(text) gives the same frame)
        return alerts_mod.parse_file(path)

    fig = ratio_figure("parse_vs_json_loads", TARGETS["parse_vs_json_loads"], UNITS["parse_vs_json_loads"],
                       "json.loads of every line", "alerts.parse_file(path)",
                       baseline, measured, sizes.rounds_big, warmup=False, rows=n, file_mb=round(n_bytes / 1e6, 1))
    got = len(measured())
    if got != n:
        raise RuntimeError(f"parse_payloads read {got} alerts, expected {n}")
    return fig


def burn_counts(days: int, seed: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """Per-minute good/total counts of one SLI: daily traffic shape, a few bad hours."""
    rng = np.random.default_rng(seed)
    minutes = days * 1440
    m = np.arange(minutes)
    rate = 300 + 200 * np.sin(2 * np.pi * (m % 1440) / 1440)
    total = rng.poisson(rate).astype(np.int64)
    p = np.full(minutes, 0.0005)
    for start in rng.integers(0, max(minutes - 240, 1), max(days // 10, 1)):
        p[start:start + int(rng.integers(20, 240))] = rng.uniform(0.005, 0.08)
    bad = rng.binomial(total, p).astype(np.int64)
    return bad, total


def fig_burn(sizes: Sizes) -> Figure:
    """burn.evaluate with the shipped tiers / bad.rolling(60).sum() on the float64 bad counts."""
    from oncall.incident_response import burn

    bad, total = burn_counts(sizes.burn_days)
    tiers = burn.load_tiers()
    bad_s = pd.Series(bad.astype(np.float64))
    return ratio_figure("burn_90d_vs_rolling", TARGETS["burn_90d_vs_rolling"], UNITS["burn_90d_vs_rolling"],
                        "pd.Series(bad, float64).rolling(60).sum()",
                        f"burn.evaluate(bad, total, 0.999, load_tiers()) ({len(tiers)} tiers)",
                        lambda: bad_s.rolling(60).sum(), lambda: burn.evaluate(bad, total, 0.999, tiers),
                        sizes.rounds_fast, minutes=len(bad))


def fig_widget_update(sizes: Sizes) -> Figure:
    """Every widget of every notebook (benchmarks/widgets.py), moved through its own controls: per widget the
    median ms from a control's change to the widget redrawn (re-run, drawn, encoded); the figure is the slowest
    widget's median. Absolute: the baseline is a person."""
    from benchmarks import widgets

    quick = sizes.rounds_fast < 7
    table = widgets.measure_all(quick=quick)
    slowest = max(table, key=lambda name: table[name]["median_ms"])
    ms = table[slowest]["median_ms"]
    moves = sum(r["moves"] for r in table.values())
    return Figure("widget_update_ms", ms, TARGETS["widget_update_ms"], UNITS["widget_update_ms"], "(a person)",
                  f"the slowest widget's median move ({slowest}): a control changed -> redrawn", None, ms / 1000,
                  moves, {"slowest": slowest, "widgets": table})


def fig_gameday_move(sizes: Sizes) -> Figure:
    """08_game_day's panel playing the scripted game of its night (data/gameday/moves/), each move through the
    panel's controls and buttons until its panels are redrawn: the median ms (and the max) over the game."""
    from benchmarks import widgets

    quick = sizes.rounds_fast < 7
    times, labels, every = widgets.play(widgets._gameday, quick=quick, rounds=1 if quick else 2)
    ms = 1000 * statistics.median(times)
    worst = max(every, key=lambda e: e[1])
    return Figure("gameday_move_ms", ms, TARGETS["gameday_move_ms"], UNITS["gameday_move_ms"], "(a person)",
                  f"GameDay(seed={widgets.GAMEDAY_SEED}) scripted game: a move -> its panels redrawn", None,
                  ms / 1000, len(times),
                  {"max_ms": _round(1000 * max(times)), "slowest_move": f"{worst[0]} ({1000 * worst[1]:.0f} ms)",
                   "moves": [f"{label}: {1000 * dt:.0f} ms" for label, dt in every[:len(labels)]]})


_MEMORY_CHILD = """
import resource, sys
from oncall.support_desk import alerts, correlate as c
frame = alerts.parse_file(sys.argv[1])
out = c.to_json(c.correlate(frame, c.load_alerting_config(), c.load_topology()))
print(len(frame), len(out["incidents"]))
"""


def fig_memory(sizes: Sizes) -> Figure:
    """Peak resident set of a child that parses a JSONL storm, correlates it and builds the JSON object."""
    path, n_bytes = storm_file(sizes.alerts)
    # A fresh parent runs the worker and reads ITS RUSAGE_CHILDREN, so no earlier child of ours (the drill,
    # the imports) can be the maximum it reports. ru_maxrss is in kB on Linux.
    parent = ("import resource, subprocess, sys\n"
              "r = subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]], stdout=subprocess.DEVNULL)\n"
              "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", parent, _MEMORY_CHILD, str(path)], cwd=ROOT, capture_output=True,
                       text=True)
    wall = time.perf_counter() - t
    rc, peak_kb = (int(x) for x in r.stdout.split()) if r.returncode == 0 else (r.returncode, 0)
    if rc != 0:
        raise RuntimeError(f"memory child failed ({rc}): {r.stderr.strip()[-400:]}")
    return Figure("correlate_1m_peak_rss_vs_file", peak_kb * 1024 / n_bytes, TARGETS["correlate_1m_peak_rss_vs_file"],
                  UNITS["correlate_1m_peak_rss_vs_file"], "the JSON Lines file's size",
                  "peak RSS of parse_file + correlate + to_json (child process)", None, wall, 1,
                  {"rows": sizes.alerts, "file_mb": round(n_bytes / 1e6, 1), "peak_rss_mb": round(peak_kb / 1024, 1)})

_STREAM_CHILD = """
import sys, time
from oncall.support_desk import alerts_stream, correlate as c
t = time.perf_counter()
r = alerts_stream.correlate_file(sys.argv[1], c.load_alerting_config(), c.load_topology())
print(r.alerts_in, len(r.incidents), time.perf_counter() - t)
"""


def shifted_copies(src: Path, dst: Path, copies: int) -> int:
    """``copies`` days of the storm file in a row (day k: every date k days later), written to ``dst``; bytes."""
    text = src.read_bytes()
    days = sorted(set(re.findall(rb"2025-03-(\d\d)T", text)), reverse=True)
    with open(dst, "wb") as f:
        for k in range(copies):
            day = text
            for d in days:  # latest first, so a date already moved is not moved again
                day = day.replace(b"2025-03-" + d + b"T", b"2025-03-%02dT" % (int(d) + k))
            f.write(day)
    return dst.stat().st_size


def fig_correlate_stream(sizes: Sizes) -> Figure:
    """Reported, with a memory bound (issue 21: peak at most 2 GB): ``alerts_stream.correlate_file`` over
    ``stream_copies`` days of the storm (10,000,000 alerts) in a child process, its wall time and peak RSS. First,
    the chunked correlation of the 1,000,000-alert file must find the in-memory correlation's incidents."""
    from oncall.support_desk import alerts_stream

    path, _ = storm_file(sizes.alerts)
    cfg, topo = _shipped()
    chunk = max(sizes.alerts // 4, 1000)
    chunked = alerts_stream.correlate_file(path, cfg, topo, chunk_alerts=chunk)
    in_memory = corr.correlate(alerts_mod.parse_file(path), cfg, topo)
    equal = chunked.incidents.equals(in_memory.incidents) and chunked.notifications.equals(in_memory.notifications)
    del chunked, in_memory
    if not equal:
        raise RuntimeError("the chunked correlation's incidents differ from the in-memory ones")
    big = path.with_name(f"stream-{sizes.stream_copies}x.jsonl")
    n_bytes = shifted_copies(path, big, sizes.stream_copies)
    parent = ("import resource, subprocess, sys\n"
              "r = subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]], capture_output=True, text=True)\n"
              "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.stdout.strip())")
    # (the parent reads its own child's peak: no earlier child of ours can be the maximum it reports)
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", parent, _STREAM_CHILD, str(big)], cwd=ROOT, capture_output=True,
                           text=True)
    finally:
        big.unlink()  # 5 GB: gone as soon as it is read
    wall = time.perf_counter() - t
    out = r.stdout.split()
    if r.returncode != 0 or len(out) != 5 or out[0] != "0":
        raise RuntimeError(f"stream child failed: {(r.stderr or r.stdout).strip()[-400:]}")
    rows, incidents, inner = int(out[2]), int(out[3]), float(out[4])
    peak_mb = int(out[1]) / 1024
    return Figure("correlate_10m_s", inner, None, UNITS["correlate_10m_s"], "",
                  "alerts_stream.correlate_file(10 days of the storm) in a child process", None, inner, 1,
                  {"rows": rows, "file_mb": round(n_bytes / 1e6, 1), "incidents": incidents,
                   "peak_rss_mb": round(peak_mb, 1), "child_wall_s": round(wall, 1), "grouping_equal_1m": equal},
                  limit=("peak_rss_mb", peak_mb, 2048.0))


# Issue 21's table: the targets a person feels, and the notebook suite against its real floor (its own imports).
# The older notebook ratios against import-only notebooks are still reported, without a target.
TARGETS = {"drill_vs_imports": 1.5, "correlate_1m_vs_pandas": 3.0, "correlate_growth_10x": 15.0,
           "parse_vs_json_loads": 0.6, "burn_90d_vs_rolling": 3.0, "widget_update_ms": 150.0, "gameday_move_ms": 250.0,
           "correlate_1m_peak_rss_vs_file": 2.0, "correlate_10m_s": None, "nbval_suite_vs_floor": 1.5, "notebook_run_all_s": 3.0,
           "make_test_fast_s": None, "nbval_suite_vs_imports": None, "nbval_imports_floor": None,
           "nbval_suite_replayed": None}
UNITS = {"drill_vs_imports": "x import time", "correlate_1m_vs_pandas": "x sort+groupby",
         "correlate_growth_10x": "x time at 1/10 the alerts", "parse_vs_json_loads": "x json.loads per line",
         "burn_90d_vs_rolling": "x rolling(60).sum()", "widget_update_ms": "ms", "gameday_move_ms": "ms",
         "correlate_1m_peak_rss_vs_file": "x file size", "correlate_10m_s": "s", "nbval_suite_vs_floor": "x the notebooks' imports",
         "notebook_run_all_s": "x its imports (slowest notebook)", "make_test_fast_s": "s",
         "nbval_suite_vs_imports": "x import-only notebooks", "nbval_imports_floor": "x import-only notebooks",
         "nbval_suite_replayed": "x import-only notebooks"}
IMPORT_ONLY = "import oncall, pandas, matplotlib.pyplot, ipywidgets"
NBVAL = ["--nbval", "--nbval-current-env", "-q", "-p", "no:cacheprovider"]


def nbval_cmd(paths, sanitize: bool = False) -> list[str]:
    """``pytest --nbval`` over ``paths`` (the course notebooks are compared through notebooks/sanitize.cfg)."""
    extra = ["--nbval-sanitize-with", str(ROOT / "notebooks" / "sanitize.cfg")] if sanitize else []
    return [sys.executable, "-m", "pytest", *NBVAL, *extra, *map(str, paths)]


def import_only_cmd(n: int) -> list[str]:
    """The baseline of the notebook figures: ``pytest --nbval`` over ``n`` notebooks that only import."""
    return nbval_cmd([one_cell_notebooks([IMPORT_ONLY] * n)])


def course_notebooks(sizes: Sizes) -> list[Path]:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    return notebooks[: sizes.notebooks] if sizes.notebooks else notebooks


def one_cell_notebooks(sources: list[str]) -> Path:
    """A temporary folder of notebooks, one per source, each a single code cell."""
    import nbformat

    tmp = tempfile.TemporaryDirectory(prefix="oncall-bench-nb-")
    _TMP.append(tmp)
    for i, source in enumerate(sources):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(Path(tmp.name) / f"nb_{i:02d}.ipynb"))
    return Path(tmp.name)


def fig_nbval_suite(sizes: Sizes) -> Figure:
    """The notebook suite under nbval / the same runner over as many notebooks that only import
    oncall, pandas, matplotlib.pyplot and ipywidgets (kernel starts, pytest and plugin start-up, imports)."""
    notebooks = course_notebooks(sizes)
    base, suite = import_only_cmd(len(notebooks)), nbval_cmd(notebooks, sanitize=True)
    return ratio_figure("nbval_suite_vs_imports", None,
                        UNITS["nbval_suite_vs_imports"], f"pytest --nbval over {len(notebooks)} import-only notebooks",
                        f"pytest --nbval over {len(notebooks)} course notebooks",
                        lambda: _run(base), lambda: _run(suite), rounds=sizes.rounds_nb, warmup=False)


def notebook_imports(path: Path) -> str:
    """The import statements a notebook runs at the top level of its code cells, each once, in order (cells are
    read as IPython reads them, so magics and ``obj?`` parse; imports inside functions are not run, so not kept)."""
    import ast

    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager()
    lines: list[str] = []
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type == "code":
            tree = ast.parse(python.transform_cell(cell.source))
            lines += [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def floor_notebooks(notebooks: list[Path]) -> Path:
    """One notebook per course notebook that runs only its import statements (the suite's floor)."""
    return one_cell_notebooks([notebook_imports(p) for p in notebooks])


def fig_nbval_suite_vs_floor(sizes: Sizes) -> Figure:
    """The notebook suite under nbval / the same runner over notebooks that run only the course notebooks' own
    import statements: what the course's work costs on top of what it must import (kernels, pytest, imports)."""
    notebooks = course_notebooks(sizes)
    floor, suite = nbval_cmd([floor_notebooks(notebooks)]), nbval_cmd(notebooks, sanitize=True)
    return ratio_figure("nbval_suite_vs_floor", TARGETS["nbval_suite_vs_floor"], UNITS["nbval_suite_vs_floor"],
                        f"pytest --nbval over {len(notebooks)} notebooks of the course notebooks' import statements",
                        f"pytest --nbval over {len(notebooks)} course notebooks",
                        lambda: _run(floor), lambda: _run(suite), rounds=sizes.rounds_nb, warmup=False)


def _run_all(path: Path) -> None:
    """A fresh kernel's Run All of one notebook (nbclient), in the notebook's folder, outputs discarded."""
    import nbclient
    import nbformat

    from benchmarks.kernel_wait import install

    install()   # a reply whose wake-up an Output widget's send consumed is found at the next half-second
    nb = nbformat.read(str(path), as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()


def fig_notebook_run_all(sizes: Sizes) -> Figure:
    """Per notebook, a fresh kernel's Run All (nbclient) and, alternately, a fresh kernel running only that
    notebook's import statements. Reported per notebook; the value is the slowest notebook's Run All over its own
    import floor (issue 21: at most 3x)."""
    notebooks = course_notebooks(sizes)
    floors = sorted(floor_notebooks(notebooks).glob("*.ipynb"))
    per: dict[str, dict] = {}
    for nb, floor in zip(notebooks, floors):
        b, m = side_by_side(lambda: _run_all(floor), lambda: _run_all(nb), sizes.rounds_nb, warmup=False)
        per[nb.stem] = {"run_all_s": round(m, 3), "imports_s": round(b, 3), "vs_imports": round(m / b, 3)}
    slowest = max(per, key=lambda k: per[k]["run_all_s"])
    s = per[slowest]
    return Figure("notebook_run_all_s", s["vs_imports"], TARGETS["notebook_run_all_s"], UNITS["notebook_run_all_s"],
                  f"{slowest}: a fresh kernel running its import statements",
                  f"{slowest}: a fresh kernel's Run All (nbclient)", s["imports_s"], s["run_all_s"], sizes.rounds_nb,
                  {"slowest": slowest, "notebooks": per})


def fig_make_test_fast(sizes: Sizes) -> Figure:
    """Reported (issue 21: at most 120 s): the wall time of ``make test-fast`` on this machine. ``--quick`` times
    ``make -n test-fast`` (the command only), so the smoke test stays small."""
    cmd = ["make", "-n" if sizes.quick_make else "", "test-fast"]
    t = time.perf_counter()
    _run([c for c in cmd if c])
    wall = time.perf_counter() - t
    return Figure("make_test_fast_s", wall, None, UNITS["make_test_fast_s"], "", "make test-fast", None, wall, 1,
                  {"dry_run": sizes.quick_make}, limit=("wall_s", wall, 120.0))


def fig_nbval_imports_floor(sizes: Sizes) -> Figure:
    """Reported, no target: the same runner over notebooks that run only the course notebooks' own import
    statements (each notebook's, nothing else) / the import-only notebooks of nbval_suite_vs_imports. What the
    course's imports alone cost before a notebook computes or draws anything."""
    notebooks = course_notebooks(sizes)
    base = import_only_cmd(len(notebooks))
    floor = nbval_cmd([floor_notebooks(notebooks)])
    return ratio_figure("nbval_imports_floor", None, UNITS["nbval_imports_floor"],
                        f"pytest --nbval over {len(notebooks)} import-only notebooks",
                        f"pytest --nbval over {len(notebooks)} notebooks of the course notebooks' import statements",
                        lambda: _run(base), lambda: _run(floor), rounds=sizes.rounds_nb, warmup=False)


# An IPython start-up file for fig_nbval_suite_replayed: every kernel serves the course's shift runs
# (run_shift, ship_from) from a pickle store, keyed by their arguments. ONCALL_REPLAY=record runs and stores them;
# replay loads them. A start-up file (not sitecustomize) so pandas is imported inside IPython, as in the suite.
REPLAY_STARTUP = """\
import hashlib, os, pickle
from pathlib import Path
import oncall.shift as _shift, oncall.sweeps as _ship
_store, _mode = Path(os.environ["ONCALL_REPLAY_STORE"]), os.environ["ONCALL_REPLAY"]

def _memo(parts, compute):
    path = _store / hashlib.sha256(repr(parts).encode()).hexdigest()
    if _mode == "replay":
        return pickle.loads(path.read_bytes())
    out = compute()
    path.write_bytes(pickle.dumps(out))
    return out

_run_shift, _ship_from = _shift.run_shift, _ship.ship_from

def _replayed_run_shift(scenario, seed=None, break_mode="none", choices=None, until="gate"):
    return _memo(("run_shift", scenario.model_dump_json(), seed, break_mode, repr(choices), until),
                 lambda: _run_shift(scenario, seed, break_mode, choices, until))

def _replayed_ship_from(before, finish=True, **kw):
    named = sorted((k, getattr(v, "__qualname__", repr(v))) for k, v in kw.items())
    return _memo(("ship_from", before.scenario.model_dump_json(), before.seed, before.break_mode, finish, named),
                 lambda: _ship_from(before, finish, **kw))

_shift.run_shift, _ship.ship_from = _replayed_run_shift, _replayed_ship_from
"""


def fig_nbval_suite_replayed(sizes: Sizes) -> Figure:
    """Reported, no target: the notebook suite with every shift run (``run_shift``, ``ship_from``: the seed tables,
    the widgets' re-runs, the drill) loaded from a pickle the same suite stored in an untimed first pass / the
    import-only notebooks. What the notebooks cost besides simulating shifts: imports, figures, widgets, nbval's
    comparisons. The replayed suite must pass nbval too (a replay that printed something else would fail)."""
    notebooks = course_notebooks(sizes)
    tmp = tempfile.TemporaryDirectory(prefix="oncall-bench-replay-")
    _TMP.append(tmp)
    startup = Path(tmp.name) / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-replay.py").write_text(REPLAY_STARTUP, encoding="utf-8")
    (Path(tmp.name) / "store").mkdir()
    env = {"IPYTHONDIR": str(Path(tmp.name) / "ipython"), "ONCALL_REPLAY_STORE": str(Path(tmp.name) / "store")}
    base, suite = import_only_cmd(len(notebooks)), nbval_cmd(notebooks, sanitize=True)
    _run(suite, env={**env, "ONCALL_REPLAY": "record"})
    stored = len(list((Path(tmp.name) / "store").iterdir()))
    return ratio_figure("nbval_suite_replayed", None, UNITS["nbval_suite_replayed"],
                        f"pytest --nbval over {len(notebooks)} import-only notebooks",
                        f"pytest --nbval over {len(notebooks)} course notebooks, shift runs loaded from a pickle",
                        lambda: _run(base), lambda: _run(suite, env={**env, "ONCALL_REPLAY": "replay"}),
                        rounds=sizes.rounds_nb, warmup=False, shift_runs_stored=stored)


FIGURES: dict[str, Callable[[Sizes], Figure]] = {
    "drill_vs_imports": fig_drill_vs_imports,
    "correlate_1m_vs_pandas": fig_correlate_vs_pandas,
    "correlate_growth_10x": fig_correlate_growth,
    "parse_vs_json_loads": fig_parse_vs_json,
    "burn_90d_vs_rolling": fig_burn,
    "widget_update_ms": fig_widget_update,
    "gameday_move_ms": fig_gameday_move,
    "correlate_1m_peak_rss_vs_file": fig_memory,
    "correlate_10m_s": fig_correlate_stream,
    "nbval_suite_vs_floor": fig_nbval_suite_vs_floor,
    "notebook_run_all_s": fig_notebook_run_all,
    "make_test_fast_s": fig_make_test_fast,
    "nbval_suite_vs_imports": fig_nbval_suite,
    "nbval_imports_floor": fig_nbval_imports_floor,
    "nbval_suite_replayed": fig_nbval_suite_replayed,
}


# ---------------------------------------------------------------- output

def run(names: list[str] | None = None, quick: bool = False, log=print) -> dict:
    """Run the figures (all, or ``names``); return {name: figure dict}."""
    sizes = Sizes.quick() if quick else Sizes()
    out = {}
    try:
        for name in names or list(FIGURES):
            if name not in FIGURES:
                raise SystemExit(f"run.py: unknown figure {name!r}; expected one of {', '.join(FIGURES)}")
            t = time.perf_counter()
            try:
                fig = FIGURES[name](sizes)
            except Exception as exc:  # one broken figure (e.g. the drill failing) must not hide the others
                fig = Figure(name, None, TARGETS.get(name), UNITS.get(name, ""), error=f"{type(exc).__name__}: {exc}")
            out[name] = fig.to_dict()
            if log:
                log(f"  {name}: {_fmt(fig.value)} {fig.unit} ({time.perf_counter() - t:.1f} s)"
                    + (f"  ERROR {fig.error}" if fig.error else ""))
    finally:
        cleanup()
    return out


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _target(r: dict) -> str:
    if r.get("limit"):
        return f"{r['limit']['name']} <= {r['limit']['at_most']:g}"
    return "-" if r["target"] is None else f"<= {r['target']:g}"


def _status(r: dict) -> str:
    """On target, MISSED (plainly), or reported (a figure without a target)."""
    if r.get("error"):
        return "MISSED (error)"
    if r["passed"] is None:
        return "reported"
    if r.get("limit"):
        at = f"{r['limit']['name']} {r['limit']['value']:.1f}"
        return f"on target ({at})" if r["passed"] else f"MISSED ({at})"
    return "on target" if r["passed"] else "MISSED"


def table(results: dict) -> str:
    """Every figure with its target and whether it is on target; a missed one says MISSED."""
    rows = [("figure", "value", "unit", "target", "status", "baseline_s", "measured_s", "rounds")]
    for name, r in results.items():
        rows.append((name, _fmt(r["value"]), r["unit"], _target(r), _status(r),
                     f"{r['baseline_s']:.3f}" if r["baseline_s"] is not None else "-",
                     f"{r['measured_s']:.3f}" if r["measured_s"] is not None else "-", str(r["rounds"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    missed = [name for name, r in results.items() if r["passed"] is False]
    lines.append("missed: " + ", ".join(missed) if missed else "every figure with a target is on target")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=list(FIGURES), help="run only this figure (repeatable)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test (values mean nothing)")
    p.add_argument("--no-write", action="store_true", help="do not write benchmarks/results.json")
    args = p.parse_args(argv)
    t = time.perf_counter()
    results = run(args.only, args.quick)
    print(table(results))
    print(f"total {time.perf_counter() - t:.0f} s on {os.cpu_count()} CPUs")
    if not args.no_write:
        if args.only and RESULTS.exists():  # keep the other figures of an earlier full run
            merged = json.loads(RESULTS.read_text(encoding="utf-8")).get("figures", {})
            merged.update(results)
            results = merged
        doc = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
               "cpus": os.cpu_count(), "quick": args.quick, "figures": results}
        RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
