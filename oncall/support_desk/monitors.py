"""The alert storm generator of the detect phase (course module M32: support desk and AIOps).

The monitors of ``data/alerting/storm.yaml`` watch the service's per-minute counts the way Prometheus rules do,
and an Alertmanager in front of our webhook delivers what they fire, so the frame returned here is what a
webhook receiver would have logged during the shift:

1. rules: each watches a signal (a ratio of count columns over a window, e.g. ``errors_tool / requests`` over
   5 min), is evaluated once a minute, fires after the condition has held for ``for`` and resolves at the first
   evaluation where it does not. One rule fires one alert per instance (pod, region, queue, ...). Because the
   storm follows the COUNTS, a rollback that makes the counts recover makes the alerts resolve; a signal that
   hovers at its threshold flaps (each re-fire is a new alert with a new ``startsAt``, as Prometheus does).
2. background: what fires on an ordinary night (the Watchdog, certificates about to expire, a disk filling, a
   slow backup, info alerts, out-of-memory kills, a crash-looping pod on another service), each its own cause.
3. a second, real incident on another team's service (billing-portal's database) during the outage.
4. delivery: Alertmanager's dispatcher per group (``group_by``): the first notification ``group_wait`` after the
   group's first alert, then one per ``resend_interval`` (its ``group_interval``) when the group changed, else
   one per ``repeat_interval`` while anything fires. Every notification carries every alert of the group, so
   alerts that did not change are re-sent: the receiver's duplicates.

The frame has exactly the columns and dtypes of ``alerts.parse_payloads`` plus ``true_cause`` (``release:V``
for the release serving when a rule fired, ``billing-db``, ``background:NAME``), which the correlator never
reads. Rows are sorted by ``received_at``; ``to_payloads``/``to_jsonl`` write it as webhook payloads.

Determinism: only timing and instance counts are random, each from its own seeded stream
(``rng_for(seed, "storm:...")``); the same (counts, scenario, seed) gives the same frame.
Pure: numpy and pandas only (plus the standard library); the storm's makeup is read by ``storm.load_storm``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import quote

import numpy as np
import pandas as pd

from ..errors import BadInput
from ..service.simulate import rng_for
from .alerts import FRAME_COLUMNS, empty_frame, fingerprint, to_payloads
from .dispatch import deliver  # noqa: F401 - the dispatcher model, re-exported here
# The storm's makeup and its loader live in .storm; re-exported here, where notebooks and tests import them.
from .storm import (BACKGROUND_KINDS, OPS, ROLES, SEVERITIES, SIGNAL_COLUMNS, STORM_PATH, Background,  # noqa: F401
                    IncidentAlert, Instances, Rule, Signal, Storm, StormIncident, load_storm, storm_from_dict)

_TS = "datetime64[ns, UTC]"
_GENERATOR = "http://prometheus.example.invalid/graph?g0.expr="


# ---------------------------------------------------------------- 1. rules over the counts

def signal_values(service: pd.DataFrame, signal: Signal, window_min: int, columns: dict | None = None) -> np.ndarray:
    """The signal at each minute over the trailing ``window_min`` minutes (fewer at the shift's start); NaN
    where the denominator is zero. ``columns``: the service's columns as float arrays, filled as they are read
    (the storm's rules share them)."""
    columns = {} if columns is None else columns

    def combo(parts: dict) -> np.ndarray:
        out = np.zeros(len(service))
        for col, coef in parts.items():
            if col not in columns:
                if col not in service.columns:
                    raise BadInput("<service counts>", col, f"missing column; signal {signal.name} needs it")
                columns[col] = service[col].to_numpy(dtype=float)
            out = out + coef * columns[col]
        return out

    def rolling(x: np.ndarray) -> np.ndarray:
        c = np.r_[0.0, np.cumsum(x)]
        idx = np.arange(len(x))
        return c[idx + 1] - c[np.maximum(idx + 1 - window_min, 0)]

    num = rolling(combo(signal.numerator))
    if signal.denominator is None:
        n = np.minimum(np.arange(len(service)) + 1, window_min)
        return num / n
    den = rolling(combo(signal.denominator))
    return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)


def firing_runs(condition: np.ndarray, for_min: int) -> list[tuple[int, int | None]]:
    """(fire eval, resolve eval or None) per run of true evaluations that lasts past ``for``."""
    cond = np.r_[False, np.asarray(condition, dtype=bool), False]
    edges = np.flatnonzero(np.diff(cond.astype(np.int8)))
    starts, stops = edges[::2], edges[1::2]          # run covers evaluations [start, stop)
    out = []
    n = len(condition)
    for a, r in zip(starts, stops):
        if r - a > for_min:
            out.append((int(a + for_min), int(r) if r < n else None))
    return out


def _compare(values: np.ndarray, op: str, threshold: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        hit = {">": values > threshold, ">=": values >= threshold, "<": values < threshold,
               "<=": values <= threshold}[op]
    return hit & ~np.isnan(values)


def _count(rng: np.random.Generator, spec: Instances) -> int:
    lo, hi = spec.count
    return int(rng.integers(lo, hi + 1))


def _rule_alerts(service: pd.DataFrame, storm: Storm, seed: int, truth) -> list[dict]:
    out = []
    times = pd.DatetimeIndex(service.index)
    if times.tz is None:
        times = times.tz_localize("UTC")
    evals = times + pd.Timedelta(minutes=1)  # minute m's counts are known at its end
    columns, values = {}, {}   # the service's columns and each (signal, window)'s values, read once for all rules
    for rule in storm.rules:
        rng = rng_for(seed, f"storm:rule:{rule.alertname}:{rule.component}")
        offset = pd.Timedelta(seconds=int(rng.integers(0, int(storm.offset_jitter_s) + 1)))
        n_inst = _count(rng, rule.instances)
        lags = rng.integers(0, int(rule.spread_s) + 1, size=n_inst)
        signal = storm.signals[rule.signal]
        cond = np.ones(len(service), dtype=bool)
        for w in rule.windows_min:
            if (rule.signal, w) not in values:
                values[rule.signal, w] = signal_values(service, signal, w, columns)
            cond &= _compare(values[rule.signal, w], rule.op, rule.threshold)
        window_text = ",".join(f"{w}m" for w in rule.windows_min)
        expr = f'{rule.signal}{{service="{storm.service}",component="{rule.component}"}}[{window_text}] {rule.op} {rule.threshold:g}'
        runs = firing_runs(cond, rule.for_min)
        if not runs:
            continue
        # Per instance, the same for each of its firings: its lag and its labels (each alert gets its own dict).
        lag_of = [pd.Timedelta(seconds=int(lag)) for lag in lags]
        labels_of = []
        for i in range(n_inst):
            labels = {"alertname": rule.alertname, "service": storm.service, "severity": rule.severity,
                      rule.instances.label: rule.instances.name(i), **rule.labels}
            if rule.component:
                labels["component"] = rule.component
            labels_of.append(labels)
        for fire, resolve in runs:
            t_fire = evals[fire] + offset
            t_res = evals[resolve] + offset if resolve is not None else None
            cause = truth(t_fire)
            for lag, labels in zip(lag_of, labels_of):
                out.append(_alert(dict(labels), rule.summary, rule.runbook, expr, t_fire + lag,
                                  None if t_res is None else t_res + lag, cause))
    return out


# ---------------------------------------------------------------- 2. background, 3. the other incident

def clock_in_shift(clock: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Timestamp:
    """The first time at UTC ``clock`` ("02:10") at or after the shift's start (the shift may cross midnight)."""
    hh, mm = (int(x) for x in clock.split(":"))
    t = start.normalize() + pd.Timedelta(hours=hh, minutes=mm)
    if t < start:
        t += pd.Timedelta(days=1)
    return t


def _seconds(rng: np.random.Generator, span: tuple[float, float]) -> pd.Timedelta:
    return pd.Timedelta(seconds=int(rng.integers(int(span[0]), int(span[1]) + 1)))


def _background_alerts(storm: Storm, start: pd.Timestamp, end: pd.Timestamp, seed: int) -> list[dict]:
    out = []
    hours = (end - start) / pd.Timedelta(hours=1)
    for b in storm.background:
        rng = rng_for(seed, f"storm:background:{b.name}")
        n_inst = _count(rng, b.instances) if b.instances is not None else 1

        def labels_for(i: int) -> dict:
            labels = {"alertname": b.alertname, "service": b.service, "severity": b.severity, **b.labels}
            if b.component:
                labels["component"] = b.component
            if b.instances is not None:
                labels[b.instances.label] = b.instances.name(i % n_inst)
            return labels

        expr = f'ALERTS{{alertname="{b.alertname}"}}'
        cause = f"background:{b.name}"
        if b.kind == "always":
            t0 = (start - pd.Timedelta(seconds=b.since_s)).floor("min")
            out += [_alert(labels_for(i), b.summary, b.runbook, expr, t0, None, cause) for i in range(n_inst)]
        elif b.kind == "once":
            jitter = int(b.jitter_s)
            for i in range(n_inst):
                t = clock_in_shift(b.at, start, end) + pd.Timedelta(seconds=int(rng.integers(-jitter, jitter + 1)))
                t_end = None if b.lasts_s is None else t + _seconds(rng, b.lasts_s)
                out.append(_alert(labels_for(i), b.summary, b.runbook, expr, t, t_end, cause))
        elif b.kind == "rate":
            k = int(rng.poisson(b.rate_per_h * hours))
            at = np.sort(rng.integers(0, int((end - start).total_seconds()), size=k))
            for j, s in enumerate(at):
                t = start + pd.Timedelta(seconds=int(s))
                out.append(_alert(labels_for(j), b.summary, b.runbook, expr, t, t + _seconds(rng, b.lasts_s),
                                  f"{cause}#{j + 1}"))
        else:  # flapping: on and off all shift, starting somewhere in an off period before the shift
            for i in range(n_inst):
                t = start - _seconds(rng, b.off_s)
                while t < end:
                    t_end = t + _seconds(rng, b.on_s)
                    out.append(_alert(labels_for(i), b.summary, b.runbook, expr, t, t_end, cause))
                    t = t_end + _seconds(rng, b.off_s)
    return out


def _incident_alerts(storm: Storm, start: pd.Timestamp, end: pd.Timestamp, seed: int) -> list[dict]:
    out = []
    for inc in storm.incidents:
        rng = rng_for(seed, f"storm:incident:{inc.name}")
        j0, j1 = int(inc.start_jitter_s), int(inc.end_jitter_s)
        t0 = clock_in_shift(inc.start, start, end) + pd.Timedelta(seconds=int(rng.integers(-j0, j0 + 1)))
        t1 = clock_in_shift(inc.end, t0, end) + pd.Timedelta(seconds=int(rng.integers(-j1, j1 + 1)))
        for a in inc.alerts:
            n_inst = _count(rng, a.instances)
            expr = f'ALERTS{{alertname="{a.alertname}"}}'
            for i in range(n_inst):
                labels = {"alertname": a.alertname, "service": inc.service, "severity": a.severity,
                          a.instances.label: a.instances.name(i), **a.labels}
                if a.component:
                    labels["component"] = a.component
                s = t0 + _seconds(rng, a.delay_s)
                e = max(t1 + _seconds(rng, a.end_delay_s), s + pd.Timedelta(minutes=1))
                out.append(_alert(labels, a.summary, a.runbook, expr, s, e, inc.true_cause))
    return out


@lru_cache(maxsize=4096)
def _generator_url(expr: str) -> str:
    return _GENERATOR + quote(expr, safe="")


def _alert(labels: dict, summary: str, runbook: str, expr: str, start, end, cause: str) -> dict:
    return {"labels": labels, "annotations": {"summary": summary, "runbook_url": f"data/runbooks/{runbook}.md"},
            "generator_url": _generator_url(expr), "start": pd.Timestamp(start),
            "end": None if end is None else pd.Timestamp(end), "cause": cause}


# ---------------------------------------------------------------- 4. Alertmanager's delivery: dispatch.deliver

# ---------------------------------------------------------------- the frame

def generate_alerts(service, scenario=None, seed: int | None = None, storm: Storm | None = None, *,
                    plan=None, truth=None) -> pd.DataFrame:
    """The shift's alert storm as webhook rows, in the format of ``alerts.parse_payloads`` plus ``true_cause``.

    ``service``: the per-minute totals frame (``record.service``: index = UTC minutes, the count columns and
    ``index_age_h``), or a shift record (its ``service``, ``scenario``, ``seed`` and serving ``plan`` are used).
    ``scenario``: gives the shift's window and the releases (for the ground truth); ``seed``: the storm's
    timing and instance counts; ``storm``: the makeup (default ``data/alerting/storm.yaml``); ``plan``: the
    serving plan; ``truth(time) -> str``: the ground truth for a rule alert firing then (the cause kind's
    ``storm_truth(plan)``, so an alert firing during a canary is blamed on the release being canaried).
    """
    if hasattr(service, "service") and hasattr(service, "scenario"):
        record = service
        service, scenario = record.service, scenario or record.scenario
        seed = record.seed if seed is None else seed
        plan = plan if plan is not None else getattr(record, "plan", None)
        truth = truth or record.cause.storm_truth(plan)
    if scenario is None or seed is None or truth is None:
        raise TypeError("generate_alerts needs the service counts, the scenario, a seed and the ground truth")
    storm = storm or load_storm()
    start = pd.Timestamp(scenario.shift.start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    end = start + pd.Timedelta(minutes=int(scenario.shift.minutes))
    alerts = (_rule_alerts(service, storm, int(seed), truth)
              + _background_alerts(storm, start, end, int(seed)) + _incident_alerts(storm, start, end, int(seed)))
    rows = deliver(alerts, storm, start, end)
    return _frame(alerts, rows, storm)


def _frame(alerts: list[dict], rows: list[tuple], storm: Storm) -> pd.DataFrame:
    if not rows:
        frame = empty_frame()
        frame["true_cause"] = pd.Series([], dtype=object)
        return frame
    used = sorted({r[2] for r in rows})   # each alert's columns computed once, then taken by row
    facts = [_label_facts(tuple(alerts[k]["labels"].items())) for k in used]   # (fingerprint, sort text)
    order = {k: (alerts[k]["start"].value, sort_text) for k, (_, sort_text) in zip(used, facts)}
    rows.sort(key=lambda r: (r[0], r[1], *order[r[2]], r[3]))
    tick = np.array([r[0] for r in rows], dtype=np.int64)
    keys = np.array([r[1] for r in rows], dtype=object)
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (tick[1:] != tick[:-1]) | (keys[1:] != keys[:-1])
    at = {k: i for i, k in enumerate(used)}
    pos = np.array([at[r[2]] for r in rows], dtype=np.intp)   # each row's alert, as a position in ``used``
    status = np.array([r[3] for r in rows], dtype=object)
    labels = [alerts[k]["labels"] for k in used]

    def per_alert(values, dtype=object) -> np.ndarray:
        return np.array(values, dtype=dtype)[pos]

    starts = per_alert([alerts[k]["start"].value for k in used], np.int64)
    ends = np.where(status == "resolved",
                    per_alert([_NAT if alerts[k]["end"] is None else alerts[k]["end"].value for k in used], np.int64),
                    _NAT)
    frame = pd.DataFrame({
        "fingerprint": per_alert([fp for fp, _ in facts]).tolist(),
        "alertname": per_alert([x["alertname"] for x in labels]).tolist(),
        "service": per_alert([x.get("service", "") for x in labels]).tolist(),
        "component": per_alert([x.get("component", "") for x in labels]).tolist(),
        "severity": per_alert([x.get("severity", "") for x in labels]).tolist(),
        "status": status,
        "starts_at": _utc(starts),
        "ends_at": _utc(ends),
        "received_at": _utc(tick),
        # One copy per distinct alert, shared by its rows (as the payload parser's frame shares them): a storm
        # re-sends each alert in many notifications, and the frame's readers only read these.
        "labels": per_alert([dict(x) for x in labels]).tolist(),
        "annotations": per_alert([dict(alerts[k]["annotations"]) for k in used]).tolist(),
        "generator_url": per_alert([alerts[k]["generator_url"] for k in used]).tolist(),
        "group_key": keys,
        "payload": (np.cumsum(new) - 1).astype(np.int64),
        "true_cause": per_alert([alerts[k]["cause"] for k in used]).tolist(),
    })
    return frame[list(FRAME_COLUMNS) + ["true_cause"]]


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """Nanoseconds since the epoch (NaT's integer for none) as UTC times, the frame's time dtype."""
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


_NAT = np.datetime64("NaT").view(np.int64)


def _sort_labels(labels: dict) -> str:
    return json.dumps(sorted(labels.items()))


@lru_cache(maxsize=16384)
def _label_facts(items: tuple) -> tuple[str, str]:
    """(fingerprint, ``_sort_labels``) of the label set with these items, in their order: a storm's alerts repeat
    their label sets night after night (the same rules, instances and names), so each is worked out once."""
    labels = dict(items)
    return fingerprint(labels), _sort_labels(labels)


def to_jsonl(frame: pd.DataFrame, group_by: tuple[str, ...] = ("alertname", "service")) -> str:
    """The frame as Alertmanager v4 webhook payloads, one JSON object a line (what ``oncall correlate`` reads);
    ``true_cause`` travels as the non-standard alert field ``trueCause``. ``group_by``: the storm's
    ``delivery.group_by``, so the payloads' ``groupKey`` is the frame's ``group_key``."""
    payloads = to_payloads(frame, group_by=tuple(group_by))
    return "".join(json.dumps(p, sort_keys=True) + "\n" for p in payloads)


def storm_summary(frame: pd.DataFrame) -> dict:
    """Counts a notebook or a benchmark prints: rows, distinct alerts (instances), causes, components."""
    inst = frame.drop_duplicates(["fingerprint", "starts_at"])
    return {
        "rows": int(len(frame)),
        "alerts": int(len(inst)),
        "causes": inst["true_cause"].map(lambda c: c.split("#")[0]).value_counts().to_dict(),
        "components": sorted(c for c in inst["component"].unique() if c),
    }


__all__ = ["Storm", "load_storm", "storm_from_dict", "generate_alerts", "to_jsonl", "deliver", "signal_values",
           "firing_runs", "clock_in_shift", "storm_summary", "STORM_PATH"]
