"""The alert storm's makeup (course module M32): ``data/alerting/storm.yaml`` read into immutable dataclasses.

What the storm is made of: the signals and the rules that watch them (Prometheus-like), the background alerts of
an ordinary night, the other team's incident, and the delivery settings of the Alertmanager in front of the
webhook. ``load_storm`` validates the file (BadInput names the file and the field) and caches it per file
version; ``monitors.generate_alerts`` turns it and the service's counts into the storm.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import yamlsafe
from ..durations import parse_duration
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version
from ..counts import COUNT_COLUMNS

STORM_PATH = DATA_DIR / "alerting" / "storm.yaml"
SEVERITIES = ("page", "ticket", "warning", "info")
ROLES = ("cause", "symptom")
BACKGROUND_KINDS = ("always", "once", "rate", "flapping")
OPS = (">", ">=", "<", "<=")
SIGNAL_COLUMNS = COUNT_COLUMNS + ("index_age_h",)


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

def _span(value, where: str, field: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise BadInput(where, field, f"expected [min, max] durations, got {value!r}")
    lo, hi = parse_duration(value[0], where, f"{field}[0]"), parse_duration(value[1], where, f"{field}[1]")
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
    resend = parse_duration(delivery.get("resend_interval"), where, "delivery.resend_interval")
    if resend <= 0:
        raise BadInput(where, "delivery.resend_interval", "expected a duration above 0")
    evaluation = doc.get("evaluation") or {}
    if not isinstance(evaluation, dict):
        raise BadInput(where, "evaluation", "expected a mapping (interval, offset_jitter)")
    interval = parse_duration(evaluation.get("interval", "1m"), where, "evaluation.interval")
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
            s = parse_duration(w, where, f"{f}.window" + (f"[{k}]" if isinstance(window, list) else ""))
            if s < 60 or s % 60:
                raise BadInput(where, f"{f}.window", f"expected whole minutes of at least 1m, got {w!r}")
            windows_min.append(int(s // 60))
        for_s = parse_duration(r.get("for", "0s"), where, f"{f}.for")
        if for_s % 60:
            raise BadInput(where, f"{f}.for", f"expected whole minutes, got {r.get('for')!r}")
        rules.append(Rule(
            alertname=_str(r, "alertname", where, f), component=_str(r, "component", where, f, "", allow_empty=True),
            severity=_choice(r, "severity", SEVERITIES, where, f), role=_choice(r, "role", ROLES, where, f),
            signal=signal, op=_choice(r, "op", OPS, where, f, ">"), threshold=float(threshold),
            windows_min=tuple(windows_min), for_min=int(for_s // 60),
            instances=_instances(r.get("instances"), where, f"{f}.instances"),
            spread_s=parse_duration(r.get("spread", "0s"), where, f"{f}.spread"),
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
            extra["since_s"] = parse_duration(b.get("since"), where, f"{f}.since")
        if kind == "once":
            extra["at"] = _clock(b.get("at"), where, f"{f}.at")
            extra["jitter_s"] = parse_duration(b.get("jitter", "0s"), where, f"{f}.jitter")
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
            start_jitter_s=parse_duration(inc.get("start_jitter", "0s"), where, f"{f}.start_jitter"),
            end=_clock(inc.get("end"), where, f"{f}.end"),
            end_jitter_s=parse_duration(inc.get("end_jitter", "0s"), where, f"{f}.end_jitter"), alerts=tuple(alerts)))

    return Storm(
        service=service, group_by=tuple(group_by),
        group_wait_s=parse_duration(delivery.get("group_wait", "30s"), where, "delivery.group_wait"),
        resend_interval_s=resend,
        repeat_interval_s=parse_duration(delivery.get("repeat_interval", "4h"), where, "delivery.repeat_interval"),
        eval_interval_s=interval,
        offset_jitter_s=parse_duration(evaluation.get("offset_jitter", "0s"), where, "evaluation.offset_jitter"),
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
