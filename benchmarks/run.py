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
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from oncall.support_desk import alerts as alerts_mod  # noqa: E402
from oncall.support_desk import correlate as corr  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
# A distribution name in pyproject.toml -> the module `oncall drill` actually imports.
IMPORT_NAMES = {"scikit-learn": "sklearn", "pyyaml": "yaml", "scipy": "scipy.stats"}


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and rounds; ``quick`` shrinks everything for a smoke test."""

    alerts: int = 1_000_000
    alerts_small: int = 100_000
    burn_days: int = 90
    rounds_fast: int = 7
    rounds_big: int = 3  # the 1M-alert parse (about 30 s a round, both sides)
    rounds_corr: int = 5
    notebooks: int = 0  # 0: every notebook in notebooks/ (the whole suite: about a minute a round, both sides)
    rounds_nb: int = 3  # the notebook figures: a single round moved by 0.2x from run to run

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(alerts=4_000, alerts_small=400, burn_days=2, rounds_fast=2, rounds_big=2, rounds_corr=2,
                   notebooks=1, rounds_nb=1)


@dataclass
class Figure:
    name: str
    value: float | None
    target: float | None
    unit: str
    baseline: str = ""
    measured: str = ""
    baseline_s: float | None = None
    measured_s: float | None = None
    rounds: int = 0
    extra: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def passed(self) -> bool | None:
        if self.error is not None:
            return False
        if self.target is None or self.value is None:
            return None
        return bool(self.value <= self.target)

    def to_dict(self) -> dict:
        d = {"value": _round(self.value), "target": self.target, "unit": self.unit, "passed": self.passed,
             "baseline": self.baseline, "measured": self.measured, "baseline_s": _round(self.baseline_s),
             "measured_s": _round(self.measured_s), "rounds": self.rounds}
        d.update(self.extra)
        if self.error is not None:
            d["error"] = self.error
        return d


def _round(x, nd: int = 4):
    return None if x is None else round(float(x), nd)


# ---------------------------------------------------------------- timing

def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def side_by_side(baseline: Callable[[], object], measured: Callable[[], object], rounds: int,
                 warmup: bool = True) -> tuple[float, float]:
    """Alternate baseline and measured ``rounds`` times; return (median baseline s, median measured s)."""
    if warmup:
        baseline()
        measured()
    b, m = [], []
    for _ in range(rounds):
        b.append(_timed(baseline))
        m.append(_timed(measured))
    return statistics.median(b), statistics.median(m)


def ratio_figure(name, target, unit, baseline_desc, measured_desc, baseline, measured, rounds, warmup=True,
                 **extra) -> Figure:
    b, m = side_by_side(baseline, measured, rounds, warmup)
    return Figure(name, m / b if b > 0 else None, target, unit, baseline_desc, measured_desc, b, m, rounds, extra)


# ---------------------------------------------------------------- a seeded alert storm

T0 = pd.Timestamp("2025-03-14T00:00:00Z")
_GW_S, _GI_S = 30, 300  # Alertmanager's group_wait and group_interval in the shipped config
_BIG = (  # (service, components, alert names, start hh:mm, length min): the storm's big incidents
    ("support-assistant", ("gateway", "agent", "retriever", "tool-orders", "node"),
     ("GatewayHTTP5xx", "AgentToolCallFailures", "AgentLatencyHigh", "RetrieverLatencyHigh", "ToolAPIErrors"),
     "02:00", 40),
    ("billing-portal", ("db", "api", "web"),
     ("BillingDBReplicationLag", "BillingAPIErrors", "BillingAPILatencyHigh", "BillingWebErrors"), "01:40", 75),
    ("search-api", ("frontend", "backend", "cache"),
     ("SearchLatencyHigh", "SearchErrors", "CacheMissRateHigh"), "09:10", 50),
)
_BG_SERVICES = tuple(f"svc-{i:03d}" for i in range(400))
_BG_COMPONENTS = ("api", "worker", "db", "cache", "node", "queue")
_BG_NAMES = ("HighLatency", "HighErrorRate", "PodRestarting", "DiskPressure", "QueueBacklog", "CPUThrottling",
             "MemoryPressure", "CertExpiringSoon", "TargetDown", "SLOBurn")
_SEVERITIES = np.array(["warning", "critical", "info", "page", "ticket"], dtype=object)


def make_storm(n_rows: int, seed: int = 34) -> pd.DataFrame:
    """``n_rows`` rows of the alert frame (``alerts.FRAME_COLUMNS`` plus ``true_cause``) over one day.

    Three big incidents (60 % of the alert instances, each on one service over 40-75 minutes) and background
    noise (40 %: small bursts of about 20 alerts within 10 minutes, each on one of 400 services, spread over
    24 h; some informational; label sets drawn from a pool, so some fire again: flaps). Every
    instance is re-sent once per ``group_interval`` while it fires (Alertmanager re-sends the group), then
    once resolved (90 %) or never (still firing). Rows are in payload order (received_at, group).
    Deterministic from ``seed``; vectorized, so a million rows take a few seconds.
    """
    rng = np.random.default_rng(seed)
    n_inst = max(n_rows // 3, 10)  # more than needed: the rows of the first instances are kept, up to n_rows
    big = rng.random(n_inst) < 0.6
    which = rng.integers(0, len(_BIG), n_inst)
    svc = np.empty(n_inst, dtype=object)
    comp = np.empty(n_inst, dtype=object)
    name = np.empty(n_inst, dtype=object)
    start_s = np.empty(n_inst, dtype=np.int64)
    dur_s = np.empty(n_inst, dtype=np.int64)
    cause = np.empty(n_inst, dtype=object)
    for k, (s, comps, names, hhmm, length) in enumerate(_BIG):
        idx = np.flatnonzero(big & (which == k))
        svc[idx] = s
        comp[idx] = np.array(comps, dtype=object)[rng.integers(0, len(comps), len(idx))]
        name[idx] = np.array(names, dtype=object)[rng.integers(0, len(names), len(idx))]
        t = int(pd.Timedelta(hhmm + ":00").total_seconds())
        start_s[idx] = t + (rng.beta(1.5, 4, len(idx)) * length * 60).astype(np.int64)
        dur_s[idx] = t + length * 60 + rng.integers(60, 900, len(idx)) - start_s[idx]
        cause[idx] = f"incident-{k}"
    # Background noise: small bursts (about 20 alerts within 10 minutes) on one of many services each.
    bg = np.flatnonzero(~big)
    n_bursts = max(len(bg) // 20, 1)
    burst = rng.integers(0, n_bursts, len(bg))
    b_svc = rng.integers(0, len(_BG_SERVICES), n_bursts)
    b_start = rng.integers(0, 86400, n_bursts)
    svc[bg] = np.array(_BG_SERVICES, dtype=object)[b_svc[burst]]
    comp[bg] = np.array(_BG_COMPONENTS, dtype=object)[rng.integers(0, len(_BG_COMPONENTS), len(bg))]
    name[bg] = np.array(_BG_NAMES, dtype=object)[rng.integers(0, len(_BG_NAMES), len(bg))]
    start_s[bg] = b_start[burst] + rng.integers(0, 600, len(bg))
    dur_s[bg] = rng.integers(60, 1800, len(bg))
    cause[bg] = np.char.add("burst-", burst.astype(str)).astype(object)
    sev = _SEVERITIES[np.where(big, rng.choice(4, n_inst, p=[0.6, 0.25, 0.0, 0.15]),
                               rng.choice(5, n_inst, p=[0.6, 0.1, 0.2, 0.02, 0.08]))]
    # Label sets: the `instance` label comes from a small pool, so some label sets fire more than once (flaps).
    pool = max(n_inst // 3, 1)
    inst_label = rng.integers(0, pool, n_inst)
    label_key = pd.factorize(pd.Series(svc).str.cat([comp, name, sev.astype(str)], sep="|")
                             + "|" + pd.Series(inst_label).astype(str))[0]
    n_sets = int(label_key.max()) + 1
    first_of = np.full(n_sets, -1, dtype=np.int64)
    first_of[label_key[::-1]] = np.arange(n_inst)[::-1]
    hashes = pd.util.hash_array(first_of.astype(np.int64) * 7919 + seed)
    fp_of_set = np.array([f"{h:016x}" for h in hashes.tolist()], dtype=object)
    labels_of_set = np.array([{"alertname": name[i], "service": svc[i], "component": comp[i], "severity": sev[i],
                               "instance": f"{comp[i]}-{inst_label[i]}"} for i in first_of], dtype=object)
    ann = {n_: {"summary": f"{n_} firing", "runbook_url": f"https://runbooks.example.invalid/{n_}"}
           for n_ in set(name.tolist())}
    ann_of_inst = np.array([ann[n_] for n_ in name], dtype=object)
    # Rows: one firing row per group_interval tick while firing, then one resolved row (90 % of instances).
    resolves = rng.random(n_inst) < 0.9
    n_fire = np.maximum(1, (dur_s - _GW_S) // _GI_S + 1)
    n_fire = np.where(resolves, n_fire, np.minimum(n_fire, 4))
    per = n_fire + resolves
    keep = int(np.searchsorted(np.cumsum(per), n_rows)) + 1  # instances needed for n_rows rows
    per[keep:] = 0
    per[keep - 1] -= int(per.sum()) - n_rows  # the last one loses its latest rows
    inst = np.repeat(np.arange(n_inst), per)
    k = np.arange(len(inst)) - np.repeat(np.cumsum(per) - per, per)
    is_res = k >= n_fire[inst]
    recv_s = np.where(is_res, start_s[inst] + dur_s[inst], start_s[inst] + _GW_S + k * _GI_S)
    start_ns = (start_s * 1_000_000_000 + T0.value)
    end_ns = np.where(resolves, (start_s + dur_s) * 1_000_000_000 + T0.value, np.iinfo(np.int64).min)
    group = pd.factorize(pd.Series(name).str.cat(svc, sep="|"))[0]
    order = np.lexsort((inst, group[inst], recv_s))
    inst, is_res, recv_s = inst[order], is_res[order], recv_s[order]
    key = label_key[inst]
    ts = lambda ns: pd.to_datetime(ns, utc=True).astype("datetime64[ns, UTC]")  # noqa: E731
    ends = np.where(is_res, end_ns[inst], np.iinfo(np.int64).min)
    payload = pd.factorize(recv_s * np.int64(int(group.max()) + 1) + group[inst])[0]
    gk = np.array([f'{{}}:{{alertname="{n_}", service="{s_}"}}' for n_, s_ in zip(name, svc)], dtype=object)
    frame = pd.DataFrame({
        "fingerprint": fp_of_set[key], "alertname": name[inst], "service": svc[inst], "component": comp[inst],
        "severity": sev[inst], "status": np.where(is_res, "resolved", "firing").astype(object),
        "starts_at": ts(start_ns[inst]), "ends_at": ts(ends), "received_at": ts(recv_s * 1_000_000_000 + T0.value),
        "labels": labels_of_set[key], "annotations": ann_of_inst[inst],
        "generator_url": "http://prometheus.example.invalid/graph", "group_key": gk[inst],
        "payload": payload.astype(np.int64), "true_cause": cause[inst],
    })
    return frame


def _rfc(ns: np.ndarray) -> np.ndarray:
    """int64 ns (int64 min = zero time) -> Alertmanager's RFC 3339 strings."""
    out = pd.to_datetime(np.where(ns == np.iinfo(np.int64).min, 0, ns), utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = np.asarray(out, dtype=object)
    out[ns == np.iinfo(np.int64).min] = alerts_mod.ZERO_TIME
    return out


def write_jsonl(frame: pd.DataFrame, path: Path) -> int:
    """The frame as Alertmanager v4 webhook payloads, one a line (one payload per ``payload`` number).

    Alert objects are rendered once per distinct (label set, start, status) and reused for re-sends, so a
    million alerts take seconds; the result reads back with ``alerts.parse_payloads``. Returns the bytes.
    """
    fp = frame["fingerprint"].to_numpy(dtype=object)
    st = frame["status"].to_numpy(dtype=object)
    starts = frame["starts_at"].array.asi8
    ends = frame["ends_at"].array.asi8
    key = pd.factorize(pd.Series(fp) + "|" + pd.Series(starts).astype(str) + "|" + pd.Series(st))[0]
    n_k = int(key.max()) + 1
    first = np.full(n_k, -1, dtype=np.int64)
    first[key[::-1]] = np.arange(len(key))[::-1]
    s_txt, e_txt = _rfc(starts[first]), _rfc(ends[first])
    labels, anns = frame["labels"].to_numpy(dtype=object), frame["annotations"].to_numpy(dtype=object)
    cause = frame["true_cause"].to_numpy(dtype=object) if "true_cause" in frame.columns else None
    dumps = json.dumps
    alert_txt = np.array([
        '{"status": %s, "labels": %s, "annotations": %s, "startsAt": "%s", "endsAt": "%s", '
        '"generatorURL": "http://prometheus.example.invalid/graph", "fingerprint": "%s"%s}'
        % (dumps(st[i]), dumps(labels[i]), dumps(anns[i]), s_txt[j], e_txt[j], fp[i],
           (', "trueCause": ' + dumps(cause[i])) if cause is not None else "")
        for j, i in enumerate(first.tolist())], dtype=object)
    pl = frame["payload"].to_numpy()
    cuts = np.flatnonzero(np.r_[True, pl[1:] != pl[:-1]])
    recv = _rfc(frame["received_at"].array.asi8[cuts])
    gk = frame["group_key"].to_numpy(dtype=object)[cuts]
    lines = []
    for p, (a, b) in enumerate(zip(cuts.tolist(), np.r_[cuts[1:], len(pl)].tolist())):
        status = "firing" if (st[a:b] == "firing").any() else "resolved"
        lines.append('{"version": "4", "groupKey": %s, "status": "%s", "receiver": "oncall-webhook", '
                     '"receivedAt": "%s", "alerts": [%s]}'
                     % (dumps(gk[p]), status, recv[p], ", ".join(alert_txt[key[a:b]].tolist())))
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text)


_STORMS: dict = {}
_FILES: dict = {}
_TMP: list = []  # the run's temporary folder (outside the repository), removed by cleanup()


def storm_file(n: int) -> tuple[Path, int]:
    """The storm of ``n`` rows as a JSON Lines file in a temporary folder (written once per run)."""
    if n not in _FILES:
        if not _TMP:
            _TMP.append(tempfile.TemporaryDirectory(prefix="oncall-bench-"))
        path = Path(_TMP[0].name) / f"storm-{n}.jsonl"
        _FILES[n] = (path, write_jsonl(storm(n), path))
    return _FILES[n]


def cleanup() -> None:
    _FILES.clear()
    _STORMS.clear()
    while _TMP:
        _TMP.pop().cleanup()


def storm(n: int) -> pd.DataFrame:
    if n not in _STORMS:
        _STORMS[n] = make_storm(n)
    return _STORMS[n]


def _shipped():
    return corr.load_alerting_config(), corr.load_topology()


# ---------------------------------------------------------------- figures

def runtime_imports() -> list[str]:
    """The runtime libraries pyproject.toml declares, as the modules the drill imports."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = [re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0].lower() for d in deps]
    return [IMPORT_NAMES.get(n, n.replace("-", "_")) for n in names]


def _run(cmd: list[str], ok=(0,), env: dict | None = None) -> None:
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=None if env is None else {**os.environ, **env})
    if r.returncode not in ok:
        tail = (r.stderr.strip() or r.stdout.strip())[-400:]
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {tail}")


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
    """alerts.parse_payloads of a JSON Lines file / json.loads of each of its lines."""
    n = sizes.alerts
    path, n_bytes = storm_file(n)

    def baseline():
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def measured():
        with open(path, encoding="utf-8") as f:
            return alerts_mod.parse_payloads(f.read(), str(path))

    fig = ratio_figure("parse_vs_json_loads", TARGETS["parse_vs_json_loads"], UNITS["parse_vs_json_loads"],
                       "json.loads of every line", "alerts.parse_payloads(file text)",
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


# Slider moves a learner makes in 01_detect's widget: (slider, value), from the notebook's default (5 % at 01:30).
WIDGET_MOVES = (("error_ratio", 0.10), ("error_ratio", 0.144), ("extra_latency", 2000), ("quality_drop", 0.2),
                ("deploy_at", 21 + 12), ("error_ratio", 0.08), ("extra_latency", 0), ("quality_drop", 0.0),
                ("deploy_at", 21), ("error_ratio", 0.2))


def fig_widget_update(sizes: Sizes) -> Figure:
    """Median ms from a value change in 01_detect's BadReleaseInjector to its figure re-simulated, redrawn and
    encoded to PNG (the widget encodes it itself and shows the bytes). Absolute: the baseline is a person."""
    import matplotlib

    matplotlib.use("Agg")  # in-process, no browser: the same drawing and PNG encoding a kernel does
    import matplotlib.pyplot as plt
    from oncall.widgets.detect import BadReleaseInjector

    import contextlib
    import io

    quiet = io.StringIO()  # outside a kernel the widget's Output prints to stdout: keep the table readable
    with contextlib.redirect_stdout(quiet):
        widget = BadReleaseInjector("bad-deploy", seed=7, error_ratio=0.05)
        times, moves = _widget_moves(widget, sizes)
    plt.close("all")
    ms = 1000 * statistics.median(times)
    return Figure("widget_update_ms", ms, TARGETS["widget_update_ms"], UNITS["widget_update_ms"], "(a person)",
                  "BadReleaseInjector slider change -> simulate, draw, PNG", None, ms / 1000, len(times),
                  {"moves": [f"{n}={v}" for n, v in moves], "max_ms": round(1000 * max(times), 1)})


def _widget_moves(widget, sizes: Sizes) -> tuple[list[float], tuple]:
    moves = WIDGET_MOVES[:3] if sizes.rounds_fast < 7 else WIDGET_MOVES
    times = []
    for _ in range(2 if sizes.rounds_fast >= 7 else 1):
        for name, value in moves:
            slider = getattr(widget, name)
            value = slider.options[value][1] if name == "deploy_at" else value
            gc.collect()
            t = time.perf_counter()
            slider.value = value  # fires the callback: simulate, draw, encode, show
            times.append(time.perf_counter() - t)
            if not widget.png.startswith(b"\x89PNG"):
                raise RuntimeError("the widget did not encode a PNG")
    return times, moves


_MEMORY_CHILD = """
import resource, sys
from oncall.support_desk import alerts, correlate as c
text = open(sys.argv[1], encoding="utf-8").read()
frame = alerts.parse_payloads(text, sys.argv[1])
del text
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
    return Figure("correlate_1m_peak_rss", peak_kb / 1024, None, UNITS["correlate_1m_peak_rss"], "",
                  "parse_payloads + correlate + to_json (child process)", None, wall, 1,
                  {"rows": sizes.alerts, "file_mb": round(n_bytes / 1e6, 1)})

TARGETS = {"drill_vs_imports": 1.5, "correlate_1m_vs_pandas": 3.0, "correlate_growth_10x": 15.0,
           "parse_vs_json_loads": 2.0, "burn_90d_vs_rolling": 3.0, "widget_update_ms": 400.0,
           "correlate_1m_peak_rss": None, "nbval_suite_vs_imports": 2.0,
           "nbval_imports_floor": None, "nbval_suite_replayed": None}
UNITS = {"drill_vs_imports": "x import time", "correlate_1m_vs_pandas": "x sort+groupby",
         "correlate_growth_10x": "x time at 1/10 the alerts", "parse_vs_json_loads": "x json.loads per line",
         "burn_90d_vs_rolling": "x rolling(60).sum()", "widget_update_ms": "ms", "correlate_1m_peak_rss": "MB",
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
    return ratio_figure("nbval_suite_vs_imports", TARGETS["nbval_suite_vs_imports"],
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


def fig_nbval_imports_floor(sizes: Sizes) -> Figure:
    """Reported, no target: the same runner over notebooks that run only the course notebooks' own import
    statements (each notebook's, nothing else) / the import-only notebooks of nbval_suite_vs_imports. What the
    course's imports alone cost before a notebook computes or draws anything."""
    notebooks = course_notebooks(sizes)
    base = import_only_cmd(len(notebooks))
    floor = nbval_cmd([one_cell_notebooks([notebook_imports(p) for p in notebooks])])
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
    "correlate_1m_peak_rss": fig_memory,
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


def table(results: dict) -> str:
    rows = [("figure", "value", "target", "unit", "passed", "baseline_s", "measured_s", "rounds")]
    for name, r in results.items():
        passed = "-" if r["passed"] is None else ("PASS" if r["passed"] else "FAIL")
        rows.append((name, _fmt(r["value"]), "-" if r["target"] is None else f"<= {r['target']:g}", r["unit"],
                     passed, f"{r['baseline_s']:.3f}" if r["baseline_s"] is not None else "-",
                     f"{r['measured_s']:.3f}" if r["measured_s"] is not None else "-", str(r["rounds"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


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
