"""The Alertmanager configuration the correlator reads (M32): matchers, inhibit rules, silences, the route's
group timers, and the service topology (``data/alerting/alertmanager.yaml``, ``silences.yaml``, ``data/topology.yaml``).

Real Alertmanager syntax: ``amtool check-config data/alerting/alertmanager.yaml`` passes. Silences are not part
of an Alertmanager config (they live in its API); the course keeps its own in ``silences.yaml`` beside it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .. import yamlsafe
from ..durations import parse_duration
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version


def _duration(text, where: str, field: str) -> float:

    return parse_duration(text, where, field)


_MATCHER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*")


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager matcher: ``name op value``; regexes are anchored (fullmatch), a missing label is ""."""

    name: str
    op: str
    value: str

    def test(self, label_value: str) -> bool:
        """Whether one label value satisfies the matcher."""
        if self.op == "=":
            return label_value == self.value
        if self.op == "!=":
            return label_value != self.value
        hit = re.fullmatch(self.value, label_value) is not None
        return hit if self.op == "=~" else not hit


def parse_matcher(text: str, where: str = "<argument>", field: str | None = None) -> Matcher:
    """'severity=~"page|critical"' -> Matcher; the value may be double-quoted (JSON escapes) or bare."""
    m = _MATCHER.fullmatch(str(text))
    if not m:
        raise BadInput(where, field, f'expected a matcher like alertname="X", severity=~"a|b" or service!="", got {text!r}')
    name, op, value = m.groups()
    if value.startswith('"'):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise BadInput(where, field, f"unterminated or badly escaped quoted value in {text!r}") from None
    elif value.endswith('"'):
        raise BadInput(where, field, f"unbalanced quote in {text!r}")
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as e:
            raise BadInput(where, field, f"bad regular expression {value!r} ({e})") from None
    return Matcher(name, op, str(value))


@dataclass(frozen=True)
class InhibitRule:
    """Mute target alerts while a firing source alert has the same values of the ``equal`` labels."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()


@dataclass(frozen=True)
class Silence:
    """Mute alerts matching every matcher whose check time falls in [starts_at, ends_at)."""

    matchers: tuple[Matcher, ...]
    starts_at: pd.Timestamp
    ends_at: pd.Timestamp
    comment: str = ""


@dataclass(frozen=True)
class AlertingConfig:
    """The subset of an Alertmanager configuration the pipeline uses (durations in seconds)."""

    group_by: tuple[str, ...] = ("alertname", "service")
    group_wait_s: float = 30.0
    group_interval_s: float = 300.0
    repeat_interval_s: float = 4 * 3600.0
    inhibit_rules: tuple[InhibitRule, ...] = ()
    silences: tuple[Silence, ...] = ()


def _matchers(node, where: str, field: str) -> tuple[Matcher, ...]:
    if node is None:
        return ()
    if isinstance(node, str):
        node = [node]
    if not isinstance(node, list):
        raise BadInput(where, field, "expected a list of matchers")
    return tuple(parse_matcher(m, where, f"{field}[{i}]") for i, m in enumerate(node))


def _legacy(rule: dict, side: str, where: str, field: str) -> tuple[Matcher, ...]:
    """Alertmanager's deprecated ``source_match`` / ``source_match_re`` maps, still accepted."""
    out = []
    for suffix, op in (("match", "="), ("match_re", "=~")):
        node = rule.get(f"{side}_{suffix}") or {}
        if not isinstance(node, dict):
            raise BadInput(where, f"{field}.{side}_{suffix}", "expected a map of label: value")
        out += [parse_matcher(f"{k}{op}{json.dumps(str(v))}", where, f"{field}.{side}_{suffix}") for k, v in node.items()]
    return tuple(out)


def _timestamp(value, where: str, field: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise BadInput(where, field, f"expected an RFC 3339 time, got {value!r}") from None
    if pd.isna(ts):
        raise BadInput(where, field, f"expected an RFC 3339 time, got {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def alerting_config_from_dict(doc: dict, where: str = "<config>") -> AlertingConfig:
    """An Alertmanager-configuration mapping (``route``, ``inhibit_rules``, optional ``silences``) -> AlertingConfig."""
    if not isinstance(doc, dict):
        raise BadInput(where, None, "expected a mapping with route, inhibit_rules and silences")
    route = doc.get("route") or {}
    if not isinstance(route, dict):
        raise BadInput(where, "route", "expected a mapping")
    group_by = route.get("group_by", ["alertname", "service"])
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        raise BadInput(where, "route.group_by", "expected a list of label names")
    rules = []
    for i, r in enumerate(doc.get("inhibit_rules") or []):
        f = f"inhibit_rules[{i}]"
        if not isinstance(r, dict):
            raise BadInput(where, f, "expected a mapping")
        equal = r.get("equal") or []
        if not isinstance(equal, list) or not all(isinstance(e, str) for e in equal):
            raise BadInput(where, f"{f}.equal", "expected a list of label names")
        source = _matchers(r.get("source_matchers"), where, f"{f}.source_matchers") + _legacy(r, "source", where, f)
        target = _matchers(r.get("target_matchers"), where, f"{f}.target_matchers") + _legacy(r, "target", where, f)
        rules.append(InhibitRule(source, target, tuple(equal)))
    silences = []
    for i, s in enumerate(doc.get("silences") or []):
        f = f"silences[{i}]"
        if not isinstance(s, dict) or not s.get("matchers"):
            raise BadInput(where, f"{f}.matchers", "expected a silence with at least one matcher")
        start, end = _timestamp(s.get("startsAt"), where, f"{f}.startsAt"), _timestamp(s.get("endsAt"), where, f"{f}.endsAt")
        if end <= start:
            raise BadInput(where, f"{f}.endsAt", "must be after startsAt")
        silences.append(Silence(_matchers(s["matchers"], where, f"{f}.matchers"), start, end, str(s.get("comment", ""))))
    return AlertingConfig(
        group_by=tuple(group_by),
        group_wait_s=_duration(route.get("group_wait", "30s"), where, "route.group_wait"),
        group_interval_s=_duration(route.get("group_interval", "5m"), where, "route.group_interval"),
        repeat_interval_s=_duration(route.get("repeat_interval", "4h"), where, "route.repeat_interval"),
        inhibit_rules=tuple(rules), silences=tuple(silences))


def load_alerting_config(path: str | Path | None = None) -> AlertingConfig:
    """Read ``data/alerting/alertmanager.yaml`` (or ``path``); cached per file version (immutable result).

    The silences are read from ``silences.yaml`` beside the config when the config has none of its own
    (Alertmanager keeps them in its API, so its config file cannot hold them)."""
    file = Path(path or DATA_DIR / "alerting" / "alertmanager.yaml")
    beside = file.parent / "silences.yaml"
    stamp = beside.stat().st_mtime_ns if beside.is_file() else None  # a new version of it is read anew
    return _built(str(file), _with_silences, str(path or "data/alerting/alertmanager.yaml"), str(beside), stamp)


def _with_silences(doc, where: str, beside: str, stamp) -> AlertingConfig:
    if isinstance(doc, dict) and "silences" not in doc and stamp is not None:
        doc = {**doc, "silences": (_read_yaml(beside) or {}).get("silences")}
    return alerting_config_from_dict(doc, where)


@cached_per_file_version
def _built(file: str, build, where: str, *extra):
    return build(_read_yaml(file), where, *extra)


def _read_yaml(path) -> dict:
    try:
        return yamlsafe.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise BadInput(str(path), None, f"cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise BadInput(str(path), None, f"not YAML ({str(e).splitlines()[0]})") from None


@dataclass(frozen=True)
class Topology:
    """Service dependency graphs: ``clusters`` maps (service, component) to its connected part of the graph.

    A component absent from a known service joins that service's first-listed part (an SLO alert naming only
    the service belongs with it); an unknown service is a part of its own.
    """

    clusters: dict = field(default_factory=dict)
    default: dict = field(default_factory=dict)

    def cluster(self, service: str, component: str) -> str:
        """The name of the connected part of the graph that (service, component) belongs to."""
        return self.clusters.get((service, component)) or self.default.get(service) or f"{service}/*"


def topology_from_dict(doc: dict, where: str = "<topology>") -> Topology:
    """``services: {NAME: {components: {C: {depends_on: [...]}}, infrastructure: [...]}}`` -> Topology.

    Every component depends on every infrastructure component of its service; services never share nodes
    (each node is (service, component)), so unrelated services stay apart.
    """
    services = (doc or {}).get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict) or not services:
        raise BadInput(where, "services", "expected a mapping of service name to its components")
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    default = {}
    for svc, body in services.items():
        comps = (body or {}).get("components") or {}
        infra = (body or {}).get("infrastructure") or []
        if not isinstance(comps, dict) or not isinstance(infra, list):
            raise BadInput(where, f"services.{svc}", "expected components (a mapping) and infrastructure (a list)")
        for c, spec in comps.items():
            deps = (spec or {}).get("depends_on") or []
            if not isinstance(deps, list):
                raise BadInput(where, f"services.{svc}.components.{c}.depends_on", "expected a list of components")
            for d in list(deps) + list(infra):
                parent[find((svc, c))] = find((svc, str(d)))
            find((svc, c))
        for d in infra:
            find((svc, str(d)))
        if comps:
            default[svc] = next(iter(comps))
    clusters = {node: f"{find(node)[0]}/{find(node)[1]}" for node in list(parent)}
    return Topology(clusters, {s: clusters[(s, c)] for s, c in default.items()})


def load_topology(path: str | Path | None = None) -> Topology:
    """Read ``data/topology.yaml`` (or ``path``); cached per file version (immutable result)."""
    return _built(str(path or DATA_DIR / "topology.yaml"), topology_from_dict, str(path or "data/topology.yaml"))
