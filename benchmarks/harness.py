"""The benchmark harness: timing side by side (alternating rounds, medians), the Figure record, subprocesses, and
the seeded alert storm (frame and JSON Lines file) the alert figures read. ``run.py`` holds the figures."""
from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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
    quick_make: bool = False  # make_test_fast_s: True times `make -n test-fast` only
    stream_copies: int = 10  # correlate_10m_s: the storm of `alerts` rows, this many days in a row

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(alerts=4_000, alerts_small=400, burn_days=2, rounds_fast=2, rounds_big=2, rounds_corr=2,
                   notebooks=1, rounds_nb=1, quick_make=True, stream_copies=3)


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
    limit: tuple[str, float, float] | None = None  # a reported figure's bound: (what, its value, at most)

    @property
    def passed(self) -> bool | None:
        if self.error is not None:
            return False
        if self.limit is not None:
            return bool(self.limit[1] <= self.limit[2])
        if self.target is None or self.value is None:
            return None
        return bool(self.value <= self.target)

    def to_dict(self) -> dict:
        d = {"value": _round(self.value), "target": self.target, "unit": self.unit, "passed": self.passed,
             "baseline": self.baseline, "measured": self.measured, "baseline_s": _round(self.baseline_s),
             "measured_s": _round(self.measured_s), "rounds": self.rounds}
        d.update(self.extra)
        if self.limit is not None:
            d["limit"] = {"name": self.limit[0], "value": _round(self.limit[1]), "at_most": self.limit[2]}
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


def _run(cmd: list[str], ok=(0,), env: dict | None = None) -> None:
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=None if env is None else {**os.environ, **env})
    if r.returncode not in ok:
        tail = (r.stderr.strip() or r.stdout.strip())[-400:]
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {tail}")
