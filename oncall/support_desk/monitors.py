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
Pure: numpy, pandas and yaml only (plus the standard library).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import yaml

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version
from ..service.simulate import COUNT_COLUMNS, rng_for
from .alerts import FRAME_COLUMNS, fingerprint, to_payloads
from .dispatch import deliver  # noqa: F401 - the dispatcher model, re-exported here

STORM_PATH = DATA_DIR / "alerting" / "storm.yaml"
SEVERITIES = ("page", "ticket", "warning", "info")
ROLES = ("cause", "symptom")
BACKGROUND_KINDS = ("always", "once", "rate", "flapping")
OPS = (">", ">=", "<", "<=")
SIGNAL_COLUMNS = COUNT_COLUMNS + ("index_age_h",)
_TS = "datetime64[ns, UTC]"
_GENERATOR = "http://prometheus.example.invalid/graph?g0.expr="


# ---------------------------------------------------------------- the storm's makeup

@dataclass(frozen=True)
class Instances:
    """Which instances a rule fires for: label name, names (a template with {i} or a list), count [lo, hi]."""

    label: str
    template: str | None
    names: tuple[str, ...]
    count: tuple[int, int]

    def name(self, i: int) -> str:
        return self.template.format(i=i) if self.template is not None else self.names[i]


@dataclass(frozen=True)
class Signal:
    name: str
    numerator: dict
    denominator: dict | None


@dataclass(frozen=True)
class Rule:
    alertname: str
    component: str
    severity: str
    role: str
    signal: str
    op: str
    threshold: float
    windows_min: tuple[int, ...]
    for_min: int
    instances: Instances
    spread_s: float
    summary: str
    runbook: str
    labels: dict


@dataclass(frozen=True)
class Background:
    name: str
    alertname: str
    service: str
    component: str
    severity: str
    kind: str
    summary: str
    runbook: str
    labels: dict
    instances: Instances | None
    since_s: float = 0.0
    at: str | None = None
    jitter_s: float = 0.0
    lasts_s: tuple[float, float] | None = None
    rate_per_h: float = 0.0
    on_s: tuple[float, float] = (0.0, 0.0)
    off_s: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class IncidentAlert:
    alertname: str
    component: str
    severity: str
    role: str
    instances: Instances
    delay_s: tuple[float, float]
    end_delay_s: tuple[float, float]
    summary: str
    runbook: str
    labels: dict


@dataclass(frozen=True)
class StormIncident:
    name: str
    true_cause: str
    service: str
    start: str
    start_jitter_s: float
    end: str
    end_jitter_s: float
    alerts: tuple[IncidentAlert, ...]


@dataclass(frozen=True)
class Storm:
    """The storm's makeup as read from ``storm.yaml`` (durations in seconds)."""

    service: str
    group_by: tuple[str, ...]
    group_wait_s: float
    resend_interval_s: float
    repeat_interval_s: float
    eval_interval_s: float
    offset_jitter_s: float
    signals: dict
    rules: tuple[Rule, ...]
    background: tuple[Background, ...]
    incidents: tuple[StormIncident, ...]
    source: str = ""


# ---------------------------------------------------------------- loading (validated)

def _duration(value, where: str, field: str) -> float:
    from .correlate import parse_duration  # the same Prometheus durations as alertmanager.yaml
    if value is None:
        raise BadInput(where, field, "missing; expected a duration like 30s, 5m or 4h")
    return parse_duration(value, where, field)


def _span(value, where: str, field: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise BadInput(where, field, f"expected [min, max] durations, got {value!r}")
    lo, hi = _duration(value[0], where, f"{field}[0]"), _duration(value[1], where, f"{field}[1]")
    if hi < lo:
        raise BadInput(where, field, f"expected min <= max, got {value!r}")
    return lo, hi


def _str(node: dict, key: str, where: str, field: str, default=None, allow_empty=False) -> str:
    value = node.get(key, default)
    if not isinstance(value, str) or (not value and not allow_empty):
        raise BadInput(where, f"{field}.{key}", f"expected a {'string' if allow_empty else 'non-empty string'}, got {value!r}")
    return value


def _choice(node: dict, key: str, options: tuple, where: str, field: str, default=None) -> str:
    value = node.get(key, default)
    if value not in options:
        raise BadInput(where, f"{field}.{key}", f"expected one of {', '.join(options)}, got {value!r}")
    return value


def _labels(node: dict, where: str, field: str) -> dict:
    labels = node.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise BadInput(where, f"{field}.labels", "expected a mapping of label name to string value")
    return dict(labels)


def _instances(node, where: str, field: str) -> Instances:
    if not isinstance(node, dict):
        raise BadInput(where, field, "expected {label, name or names, count}")
    label = _str(node, "label", where, field)
    template, names = node.get("name"), node.get("names")
    if (template is None) == (names is None):
        raise BadInput(where, field, "expected exactly one of name (a template with {i}) or names (a list)")
    if template is not None and (not isinstance(template, str) or "{i}" not in template):
        raise BadInput(where, f"{field}.name", f"expected a template containing {{i}}, got {template!r}")
    if names is not None and (not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names)
                              or len(set(names)) != len(names)):
        raise BadInput(where, f"{field}.names", "expected a list of distinct non-empty names")
    count = node.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        count = [count, count]
    if (not isinstance(count, list) or len(count) != 2 or not all(isinstance(c, int) and not isinstance(c, bool) for c in count)
            or not 1 <= count[0] <= count[1]):
        raise BadInput(where, f"{field}.count", f"expected a count >= 1 or [min, max], got {node.get('count')!r}")
    if names is not None and count[1] > len(names):
        raise BadInput(where, f"{field}.count", f"at most {len(names)} (the names listed), got {count[1]}")
    return Instances(label, template, tuple(names or ()), (count[0], count[1]))


def _clock(value, where: str, field: str) -> str:
    text = str(value) if value is not None else ""
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
        raise BadInput(where, field, f'expected a UTC clock time like "02:10", got {value!r}')
    return text


def storm_from_dict(doc, where: str = "<storm>") -> Storm:
    """A ``storm.yaml`` mapping -> Storm; BadInput naming ``where`` and the field on anything wrong."""
    if not isinstance(doc, dict):
        raise BadInput(where, None, "expected a mapping with delivery, evaluation, signals, rules, background, incidents")
    delivery = doc.get("delivery")
    if not isinstance(delivery, dict):
        raise BadInput(where, "delivery", "expected a mapping (group_by, group_wait, resend_interval, repeat_interval)")
    group_by = delivery.get("group_by")
    if not isinstance(group_by, list) or not group_by or not all(isinstance(g, str) for g in group_by):
        raise BadInput(where, "delivery.group_by", "expected a list of label names")
    resend = _duration(delivery.get("resend_interval"), where, "delivery.resend_interval")
    if resend <= 0:
        raise BadInput(where, "delivery.resend_interval", "expected a duration above 0")
    evaluation = doc.get("evaluation") or {}
    if not isinstance(evaluation, dict):
        raise BadInput(where, "evaluation", "expected a mapping (interval, offset_jitter)")
    interval = _duration(evaluation.get("interval", "1m"), where, "evaluation.interval")
    if interval != 60:
        raise BadInput(where, "evaluation.interval", "expected 1m (the counts are per minute)")

    signals_doc = doc.get("signals")
    if not isinstance(signals_doc, dict) or not signals_doc:
        raise BadInput(where, "signals", "expected a mapping of signal name to numerator/denominator")
    signals = {}
    for name, spec in signals_doc.items():
        f = f"signals.{name}"
        if not isinstance(spec, dict) or "numerator" not in spec:
            raise BadInput(where, f, "expected {numerator: {column: coefficient}, denominator: ...}")
        parts = {}
        for part in ("numerator", "denominator"):
            node = spec.get(part)
            if node is None and part == "denominator":
                parts[part] = None
                continue
            if not isinstance(node, dict) or not node:
                raise BadInput(where, f"{f}.{part}", "expected a mapping of count column to coefficient")
            for col, coef in node.items():
                if col not in SIGNAL_COLUMNS:
                    raise BadInput(where, f"{f}.{part}.{col}", f"expected a column of the counts ({', '.join(SIGNAL_COLUMNS)})")
                if not isinstance(coef, (int, float)) or isinstance(coef, bool):
                    raise BadInput(where, f"{f}.{part}.{col}", f"expected a number, got {coef!r}")
            parts[part] = {str(k): float(v) for k, v in node.items()}
        signals[str(name)] = Signal(str(name), parts["numerator"], parts["denominator"])

    service = _str(doc, "service", where, "")
    rules = []
    rules_doc = doc.get("rules")
    if not isinstance(rules_doc, list) or not rules_doc:
        raise BadInput(where, "rules", "expected a list of monitor rules")
    for i, r in enumerate(rules_doc):
        f = f"rules[{i}]"
        if not isinstance(r, dict):
            raise BadInput(where, f, "expected a mapping")
        signal = _str(r, "signal", where, f)
        if signal not in signals:
            raise BadInput(where, f"{f}.signal", f"no signal named {signal!r}; expected one of {', '.join(signals)}")
        threshold = r.get("threshold")
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
            raise BadInput(where, f"{f}.threshold", f"expected a number, got {threshold!r}")
        window = r.get("window", "1m")
        windows = window if isinstance(window, list) else [window]
        windows_min = []
        for k, w in enumerate(windows):
            s = _duration(w, where, f"{f}.window" + (f"[{k}]" if isinstance(window, list) else ""))
            if s < 60 or s % 60:
                raise BadInput(where, f"{f}.window", f"expected whole minutes of at least 1m, got {w!r}")
            windows_min.append(int(s // 60))
        for_s = _duration(r.get("for", "0s"), where, f"{f}.for")
        if for_s % 60:
            raise BadInput(where, f"{f}.for", f"expected whole minutes, got {r.get('for')!r}")
        rules.append(Rule(
            alertname=_str(r, "alertname", where, f), component=_str(r, "component", where, f, "", allow_empty=True),
            severity=_choice(r, "severity", SEVERITIES, where, f), role=_choice(r, "role", ROLES, where, f),
            signal=signal, op=_choice(r, "op", OPS, where, f, ">"), threshold=float(threshold),
            windows_min=tuple(windows_min), for_min=int(for_s // 60),
            instances=_instances(r.get("instances"), where, f"{f}.instances"),
            spread_s=_duration(r.get("spread", "0s"), where, f"{f}.spread"),
            summary=_str(r, "summary", where, f), runbook=_str(r, "runbook", where, f), labels=_labels(r, where, f)))

    background = []
    for i, b in enumerate(doc.get("background") or []):
        f = f"background[{i}]"
        if not isinstance(b, dict):
            raise BadInput(where, f, "expected a mapping")
        kind = _choice(b, "kind", BACKGROUND_KINDS, where, f)
        inst = _instances(b["instances"], where, f"{f}.instances") if b.get("instances") is not None else None
        extra: dict = {}
        if kind == "always":
            extra["since_s"] = _duration(b.get("since"), where, f"{f}.since")
        if kind == "once":
            extra["at"] = _clock(b.get("at"), where, f"{f}.at")
            extra["jitter_s"] = _duration(b.get("jitter", "0s"), where, f"{f}.jitter")
            extra["lasts_s"] = None if b.get("lasts") is None else _span(b.get("lasts"), where, f"{f}.lasts")
        if kind == "rate":
            rate = b.get("rate_per_h")
            if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate < 0:
                raise BadInput(where, f"{f}.rate_per_h", f"expected a number >= 0, got {rate!r}")
            extra["rate_per_h"] = float(rate)
            extra["lasts_s"] = _span(b.get("lasts"), where, f"{f}.lasts")
        if kind == "flapping":
            extra["on_s"] = _span(b.get("fires_for"), where, f"{f}.fires_for")
            extra["off_s"] = _span(b.get("quiet_for"), where, f"{f}.quiet_for")
            if extra["on_s"][0] <= 0 or extra["off_s"][0] <= 0:
                raise BadInput(where, f"{f}.fires_for", "expected fires_for and quiet_for durations above 0")
        background.append(Background(
            name=_str(b, "name", where, f), alertname=_str(b, "alertname", where, f),
            service=_str(b, "service", where, f, "", allow_empty=True),
            component=_str(b, "component", where, f, "", allow_empty=True),
            severity=_choice(b, "severity", SEVERITIES, where, f), kind=kind, summary=_str(b, "summary", where, f),
            runbook=_str(b, "runbook", where, f), labels=_labels(b, where, f), instances=inst, **extra))
    names = [b.name for b in background]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise BadInput(where, "background", f"two entries are named {dup!r}; every background cause needs its own name")

    incidents = []
    for i, inc in enumerate(doc.get("incidents") or []):
        f = f"incidents[{i}]"
        if not isinstance(inc, dict):
            raise BadInput(where, f, "expected a mapping")
        alerts = []
        if not isinstance(inc.get("alerts"), list) or not inc["alerts"]:
            raise BadInput(where, f"{f}.alerts", "expected a list of alerts")
        for j, a in enumerate(inc["alerts"]):
            fa = f"{f}.alerts[{j}]"
            if not isinstance(a, dict):
                raise BadInput(where, fa, "expected a mapping")
            alerts.append(IncidentAlert(
                alertname=_str(a, "alertname", where, fa), component=_str(a, "component", where, fa, "", allow_empty=True),
                severity=_choice(a, "severity", SEVERITIES, where, fa), role=_choice(a, "role", ROLES, where, fa),
                instances=_instances(a.get("instances"), where, f"{fa}.instances"),
                delay_s=_span(a.get("delay"), where, f"{fa}.delay"), end_delay_s=_span(a.get("end_delay"), where, f"{fa}.end_delay"),
                summary=_str(a, "summary", where, fa), runbook=_str(a, "runbook", where, fa), labels=_labels(a, where, fa)))
        incidents.append(StormIncident(
            name=_str(inc, "name", where, f), true_cause=_str(inc, "true_cause", where, f),
            service=_str(inc, "service", where, f), start=_clock(inc.get("start"), where, f"{f}.start"),
            start_jitter_s=_duration(inc.get("start_jitter", "0s"), where, f"{f}.start_jitter"),
            end=_clock(inc.get("end"), where, f"{f}.end"),
            end_jitter_s=_duration(inc.get("end_jitter", "0s"), where, f"{f}.end_jitter"), alerts=tuple(alerts)))

    return Storm(
        service=service, group_by=tuple(group_by),
        group_wait_s=_duration(delivery.get("group_wait", "30s"), where, "delivery.group_wait"),
        resend_interval_s=resend,
        repeat_interval_s=_duration(delivery.get("repeat_interval", "4h"), where, "delivery.repeat_interval"),
        eval_interval_s=interval,
        offset_jitter_s=_duration(evaluation.get("offset_jitter", "0s"), where, "evaluation.offset_jitter"),
        signals=signals, rules=tuple(rules), background=tuple(background), incidents=tuple(incidents), source=where)


def load_storm(path: str | Path | None = None) -> Storm:
    """Read and validate ``data/alerting/storm.yaml`` (or ``path``); BadInput names the file and the field.

    The result is immutable and cached per file version (path, modification time, size): every shift reads the
    storm twice, and a multi-seed sweep hundreds of times."""
    where = str(path) if path is not None else "data/alerting/storm.yaml"
    return _load_storm(str(path or STORM_PATH), where)


@cached_per_file_version
def _load_storm(file: str, where: str) -> Storm:
    try:
        doc = yamlsafe.safe_load(Path(file).read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(where, None, f"cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise BadInput(where, None, f"not YAML ({str(e).splitlines()[0]})") from None
    return storm_from_dict(doc, where)


# ---------------------------------------------------------------- 1. rules over the counts

def signal_values(service: pd.DataFrame, signal: Signal, window_min: int) -> np.ndarray:
    """The signal at each minute over the trailing ``window_min`` minutes (fewer at the shift's start); NaN
    where the denominator is zero."""
    def combo(parts: dict) -> np.ndarray:
        out = np.zeros(len(service))
        for col, coef in parts.items():
            if col not in service.columns:
                raise BadInput("<service counts>", col, f"missing column; signal {signal.name} needs it")
            out = out + coef * service[col].to_numpy(dtype=float)
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


def _cause_at(when: pd.Timestamp, scenario, plan) -> str:
    """The ground truth for a rule alert firing at ``when``: the newest release other than the last good one
    taking traffic then (from the serving plan if given, else the scenario's bad deploy), or, for a stale index
    or a provider outage, the scenario's cause from its onset on."""
    good = scenario.releases.last_good.version
    if plan is not None and getattr(plan, "changes", None):
        minute = int((when - pd.Timestamp(scenario.shift.start)) // pd.Timedelta(minutes=1))
        newest = None
        for start, split in plan.changes:
            if start > minute:
                break
            for version, weight in split.items():
                if weight > 0 and version != good:
                    newest = version
        if newest is not None:
            return f"release:{newest}"
        if scenario.cause.kind == "deploy":
            return "background:false-positive"
    return scenario.cause_label if when >= pd.Timestamp(scenario.onset_at) else "background:false-positive"


def _rule_alerts(service: pd.DataFrame, storm: Storm, scenario, seed: int, plan) -> list[dict]:
    out = []
    times = pd.DatetimeIndex(service.index)
    if times.tz is None:
        times = times.tz_localize("UTC")
    evals = times + pd.Timedelta(minutes=1)  # minute m's counts are known at its end
    for rule in storm.rules:
        rng = rng_for(seed, f"storm:rule:{rule.alertname}:{rule.component}")
        offset = pd.Timedelta(seconds=int(rng.integers(0, int(storm.offset_jitter_s) + 1)))
        n_inst = _count(rng, rule.instances)
        lags = rng.integers(0, int(rule.spread_s) + 1, size=n_inst)
        signal = storm.signals[rule.signal]
        cond = np.ones(len(service), dtype=bool)
        for w in rule.windows_min:
            cond &= _compare(signal_values(service, signal, w), rule.op, rule.threshold)
        window_text = ",".join(f"{w}m" for w in rule.windows_min)
        expr = f'{rule.signal}{{service="{storm.service}",component="{rule.component}"}}[{window_text}] {rule.op} {rule.threshold:g}'
        for fire, resolve in firing_runs(cond, rule.for_min):
            t_fire = evals[fire] + offset
            t_res = evals[resolve] + offset if resolve is not None else None
            cause = _cause_at(t_fire, scenario, plan)
            for i in range(n_inst):
                lag = pd.Timedelta(seconds=int(lags[i]))
                labels = {"alertname": rule.alertname, "service": storm.service, "severity": rule.severity,
                          rule.instances.label: rule.instances.name(i), **rule.labels}
                if rule.component:
                    labels["component"] = rule.component
                out.append(_alert(labels, rule.summary, rule.runbook, expr, t_fire + lag,
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
                    plan=None) -> pd.DataFrame:
    """The shift's alert storm as webhook rows, in the format of ``alerts.parse_payloads`` plus ``true_cause``.

    ``service``: the per-minute totals frame (``record.service``: index = UTC minutes, the count columns and
    ``index_age_h``), or a shift record (its ``service``, ``scenario``, ``seed`` and serving ``plan`` are used).
    ``scenario``: gives the shift's window and the releases (for the ground truth); ``seed``: the storm's
    timing and instance counts; ``storm``: the makeup (default ``data/alerting/storm.yaml``); ``plan``: the
    serving plan, so an alert firing during a canary is blamed on the release being canaried.
    """
    if hasattr(service, "service") and hasattr(service, "scenario"):
        record = service
        service, scenario = record.service, scenario or record.scenario
        seed = record.seed if seed is None else seed
        plan = plan if plan is not None else getattr(record, "plan", None)
    if scenario is None or seed is None:
        raise TypeError("generate_alerts needs the service counts, the scenario and a seed")
    storm = storm or load_storm()
    start = pd.Timestamp(scenario.shift.start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    end = start + pd.Timedelta(minutes=int(scenario.shift.minutes))
    alerts = (_rule_alerts(service, storm, scenario, int(seed), plan)
              + _background_alerts(storm, start, end, int(seed)) + _incident_alerts(storm, start, end, int(seed)))
    rows = deliver(alerts, storm, start, end)
    return _frame(alerts, rows, storm)


def _frame(alerts: list[dict], rows: list[tuple], storm: Storm) -> pd.DataFrame:
    from .alerts import empty_frame
    if not rows:
        frame = empty_frame()
        frame["true_cause"] = pd.Series([], dtype=object)
        return frame
    order = {k: (alerts[k]["start"].value, _sort_labels(alerts[k]["labels"])) for k in {r[2] for r in rows}}
    rows.sort(key=lambda r: (r[0], r[1], *order[r[2]], r[3]))
    tick = np.array([r[0] for r in rows], dtype=np.int64)
    keys = np.array([r[1] for r in rows], dtype=object)
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (tick[1:] != tick[:-1]) | (keys[1:] != keys[:-1])
    idx = [r[2] for r in rows]
    status = np.array([r[3] for r in rows], dtype=object)
    fps = {}
    for k in set(idx):
        fps[k] = fingerprint(alerts[k]["labels"])
    ends = [alerts[k]["end"].value if st == "resolved" else None for k, st in zip(idx, status)]
    frame = pd.DataFrame({
        "fingerprint": [fps[k] for k in idx],
        "alertname": [alerts[k]["labels"]["alertname"] for k in idx],
        "service": [alerts[k]["labels"].get("service", "") for k in idx],
        "component": [alerts[k]["labels"].get("component", "") for k in idx],
        "severity": [alerts[k]["labels"].get("severity", "") for k in idx],
        "status": status,
        "starts_at": pd.to_datetime(np.array([alerts[k]["start"].value for k in idx], dtype=np.int64), utc=True),
        "ends_at": pd.to_datetime(np.array([_NAT if v is None else v for v in ends], dtype=np.int64)
                                  .view("datetime64[ns]"), utc=True),
        "received_at": pd.to_datetime(tick, utc=True),
        "labels": [dict(alerts[k]["labels"]) for k in idx],
        "annotations": [dict(alerts[k]["annotations"]) for k in idx],
        "generator_url": [alerts[k]["generator_url"] for k in idx],
        "group_key": keys,
        "payload": (np.cumsum(new) - 1).astype(np.int64),
        "true_cause": [alerts[k]["cause"] for k in idx],
    })
    for c in ("starts_at", "ends_at", "received_at"):
        frame[c] = frame[c].astype(_TS)
    return frame[list(FRAME_COLUMNS) + ["true_cause"]]


_NAT = np.datetime64("NaT").view(np.int64)


def _sort_labels(labels: dict) -> str:
    return json.dumps(sorted(labels.items()))


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
