"""Alert storm -> incidents, in Alertmanager's order (course module M32: support desk and AIOps).

The pipeline over the alert frame (``alerts.py``), every step vectorized (sort once, factorize, numpy):

1. dedup: re-sends of the same alert instance (same fingerprint, ``starts_at`` and status) are duplicates; then a
   "full" dedup, Keep-style: a new instance whose content without its volatile fields (times, generator URL)
   equals the previous instance's of the same fingerprint and status within ``flap_window`` is a duplicate too
   (a flapping alert re-firing with the same labels and annotations).
2. inhibition: Alertmanager's ``inhibit_rules`` (matchers ``=``, ``!=``, ``=~``, ``!~``; ``equal`` labels; a
   missing label counts as ""; the source must be firing at the target's check time; a source that also matches
   the target side cannot inhibit a target that also matches the source side, as Alertmanager's
   ``excludeTwoSidedMatch``).
3. silences: matchers and a [startsAt, endsAt) window.
4. resolved handling: an alert instance seen only as resolved never opens an incident.
5. grouping: ``group_by`` with ``group_wait``, ``group_interval``, ``repeat_interval`` -> the notifications
   Alertmanager would send.
6. correlation: alerts whose components are connected in the dependency graph (``topology.yaml``) and whose gap
   to the previous alert of that part of the graph is at most ``window`` join one incident (Keep's timeframe
   rule); a firing alert of a ``hold_open`` severity (a page) holds its incident open until ``window`` after it
   resolves (after its last re-fire that dedup dropped, if it flaps), so an outage left burning for hours stays
   one incident; a page that was inhibited, silenced or counted as noise holds nothing. Informational alerts
   (``noise_severities``) and incidents smaller than ``min_alerts`` are noise.

Check times: Alertmanager evaluates inhibition and silences when it flushes a group, so an alert instance is
checked at its first arrival (``received_at``) plus ``group_wait``.

Every input row ends up in exactly one incident or in ``dropped`` with one reason from ``REASONS``; a resolved
row of an instance that opened an incident belongs to that incident. Pure except the two ``load_*`` helpers.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version

REASONS = ("duplicate", "inhibited", "silenced", "resolved", "noise")
_NONE, _DUP, _INH, _SIL, _RES, _NOISE = range(6)  # instance reason codes; _NONE = kept
_INF = np.iinfo(np.int64).max
_NAT = np.iinfo(np.int64).min
_SEC = 1_000_000_000  # ns per second
_SEVERITY_RANK = {"page": 6, "critical": 5, "error": 4, "high": 4, "warning": 3, "ticket": 3, "low": 2, "info": 1}
_STD_COLUMNS = ("alertname", "service", "component", "severity")


# ---------------------------------------------------------------- configuration

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text, where: str = "<argument>", field: str | None = None) -> float:
    """A Prometheus duration ('30s', '5m', '1h30m', '4h', '1d') -> seconds. Numbers are taken as seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool) and text >= 0:
        return float(text)
    s = str(text).strip()
    parts = _DURATION.findall(s)
    if not s or "".join(n + u for n, u in parts) != s:
        raise BadInput(where, field, f"expected a duration like 30s, 5m or 4h, got {text!r}")
    return float(sum(int(n) * _UNIT_S[u] for n, u in parts))


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
        group_wait_s=parse_duration(route.get("group_wait", "30s"), where, "route.group_wait"),
        group_interval_s=parse_duration(route.get("group_interval", "5m"), where, "route.group_interval"),
        repeat_interval_s=parse_duration(route.get("repeat_interval", "4h"), where, "route.repeat_interval"),
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


# ---------------------------------------------------------------- results

@dataclass
class Correlation:
    """What the pipeline made of an alert frame.

    - ``incidents``: one row per incident: ``id`` (INC-0001... in order of first alert), ``fingerprints`` (distinct,
      in order of first appearance in the frame), ``alerts`` (distinct alert instances), ``rows`` (input rows assigned), ``services``,
      ``components`` (sorted lists), ``first_at`` / ``last_at`` (UTC, over the rows' ``received_at``),
      ``severity`` (the highest label value), ``status`` (firing while any instance has not resolved).
    - ``dropped``: one row per dropped input row: ``row`` (position in the input frame), ``fingerprint``,
      ``reason`` (one of REASONS), ``detail`` (which rule or silence, where it applies).
    - ``notifications``: the group notifications Alertmanager would send: ``time`` (UTC), ``group_key``,
      ``alerts`` (alerts in it), ``kind`` (first, update, repeat).
    - ``assignment``: per input row (the frame's index), the incident id or the drop reason.
    """

    incidents: pd.DataFrame
    dropped: pd.DataFrame
    notifications: pd.DataFrame
    assignment: pd.Series
    alerts_in: int = 0

    @property
    def oncall_notifications(self) -> int:
        """What reaches a person: one notification per incident the correlator opens. Alertmanager's group
        notifications (``notifications``) go to the correlator, not to the on-call; noise, duplicates,
        inhibited, silenced and resolved-only alerts open nothing. Noise reduction is measured on this."""
        return len(self.incidents)


def _ns(series: pd.Series) -> np.ndarray:
    """UTC timestamps -> int64 nanoseconds since the epoch (NaT -> int64 min)."""
    s = pd.to_datetime(series, utc=True) if not isinstance(series.dtype, pd.DatetimeTZDtype) else series
    return s.astype("datetime64[ns, UTC]").array.asi8


def _first_per(keys: np.ndarray, order: np.ndarray, n_keys: int) -> np.ndarray:
    """For each key 0..n_keys-1, the first row of ``order`` (a list of row positions) holding it (-1 when none)."""
    rank = np.full(n_keys, len(order), dtype=np.int64)
    np.minimum.at(rank, keys[order], np.arange(len(order), dtype=np.int64))
    out = np.full(n_keys, -1, dtype=np.int64)
    found = rank < len(order)
    out[found] = order[rank[found]]
    return out


class _Labels:
    """Label values of the frame's rows, factorized once per label name (a missing label is "").

    The four label columns of the alert frame are factorized over all rows on first use (one hash pass);
    any other label is read from the ``labels`` dicts, and only for the rows asked about.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.columns: dict = {}

    def codes(self, name: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes at ``rows``, distinct values as str) for label ``name``."""
        if name in _STD_COLUMNS and name in self.frame.columns:
            if name not in self.columns:
                values = self.frame[name].to_numpy(dtype=object)
                # The sentinel path skips the missing-value pass over every row; only a column that holds
                # missing values (never one parse_payloads made) pays for numbering them in order.
                codes, uniques = pd.factorize(values)
                if len(codes) and codes.min() < 0:
                    codes, uniques = pd.factorize(values, use_na_sentinel=False)
                self.columns[name] = (codes, np.array(["" if pd.isna(u) else str(u) for u in uniques], dtype=object))
            codes, uniques = self.columns[name]
            return codes[rows], uniques
        labels = self.frame["labels"].to_numpy(dtype=object)[rows]
        codes, uniques = pd.factorize(np.array([lab.get(name, "") for lab in labels], dtype=object))
        return codes, np.asarray(uniques, dtype=object).astype(str).astype(object)

    def values(self, name: str, rows: np.ndarray) -> np.ndarray:
        codes, uniques = self.codes(name, rows)
        return uniques[codes] if len(uniques) else np.full(len(rows), "", dtype=object)


def _match_all(matchers, labels: _Labels, rows: np.ndarray) -> np.ndarray:
    """Mask over ``rows``: rows satisfying every matcher; each matcher tests the distinct values only and
    only the rows still in the running, so labels outside the frame's columns are read for few rows."""
    mask = np.ones(len(rows), dtype=bool)
    for m in matchers:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            break
        codes, uniques = labels.codes(m.name, rows[idx])
        hit = np.array([m.test(u) for u in uniques], dtype=bool)
        mask[idx] = hit[codes] if len(uniques) else False
    return mask


def _combine_codes(columns: list[np.ndarray], n: int) -> np.ndarray:
    """Row-wise tuple of codes -> one int code per distinct tuple (0..k-1)."""
    code = np.zeros(n, dtype=np.int64)
    for col in columns:
        c = pd.factorize(col)[0] if col.dtype == object else col.astype(np.int64)
        code = pd.factorize(code * (int(c.max()) + 2 if len(c) else 1) + c)[0].astype(np.int64)
    return code


# ---------------------------------------------------------------- pipeline steps

def _dedup(inst: np.ndarray, fp: np.ndarray, firing: np.ndarray, t_in: np.ndarray, order: np.ndarray,
           annotations: np.ndarray, flap_ns: int) -> np.ndarray:
    """Duplicate rows: re-sends of an instance in the same status, then Keep-style full dedup of flapping
    re-fires (same fingerprint and status, another instance, within ``flap_ns``, same annotations)."""
    n = len(inst)
    dup = np.zeros(n, dtype=bool)
    dup[order] = pd.Series(inst[order] * 2 + firing[order]).duplicated().to_numpy()
    live = order[~dup[order]]                      # kept rows, in time order
    o = live[np.argsort((fp[live] * 2 + firing[live]), kind="stable")]  # by fingerprint/status, then time
    same = np.zeros(len(o), dtype=bool)
    same[1:] = (fp[o[1:]] == fp[o[:-1]]) & (firing[o[1:]] == firing[o[:-1]]) & (inst[o[1:]] != inst[o[:-1]]) \
        & (t_in[o[1:]] - t_in[o[:-1]] <= flap_ns)
    cand = np.flatnonzero(same)
    if len(cand):
        # Only candidates compare their content (annotations; the labels are already in the fingerprint).
        equal = np.array([x == y for x, y in zip(annotations[o[cand]], annotations[o[cand - 1]])], dtype=bool)
        dup[o[cand[equal]]] = True
    return dup


def _covered(src_key, src_start, src_end, tgt_key, tgt_t) -> np.ndarray:
    """Whether each target time falls inside a source interval of the same key (intervals merged per key)."""
    if len(src_key) == 0 or len(tgt_key) == 0:
        return np.zeros(len(tgt_key), dtype=bool)
    o = np.lexsort((src_start, src_key))
    k, s, e = src_key[o], src_start[o], src_end[o]
    run_end = pd.Series(e).groupby(k).cummax().to_numpy()
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (s[1:] > run_end[:-1])
    block = np.cumsum(new) - 1
    b_key, b_start = k[new], s[new]
    b_end = pd.Series(e).groupby(block).max().to_numpy()
    left = pd.DataFrame({"t": tgt_t, "key": tgt_key, "pos": np.arange(len(tgt_t))}).sort_values("t", kind="stable")
    right = pd.DataFrame({"t": b_start, "key": b_key, "end": b_end}).sort_values("t", kind="stable")
    merged = pd.merge_asof(left, right, on="t", by="key", direction="backward")
    hit = np.zeros(len(tgt_t), dtype=bool)
    end = merged["end"].to_numpy(dtype=float)
    hit[merged["pos"].to_numpy()] = ~np.isnan(end) & (merged["t"].to_numpy(dtype=float) < end)
    return hit


def _inhibit(rules, labels: _Labels, heads, targets, start, end, t_check) -> np.ndarray:
    """Per instance: the index of the first inhibit rule muting it (-1). Sources are all instances (muted or
    not, as in Alertmanager), each firing over [start, end)."""
    n = len(heads)
    by_rule = np.full(n, -1, dtype=np.int64)
    everyone = np.arange(n)
    for r_i, rule in enumerate(rules):
        cand = np.flatnonzero(targets & (by_rule < 0))
        tm = cand[_match_all(rule.target, labels, heads[cand])]
        if len(tm) == 0:
            continue
        sm = everyone[_match_all(rule.source, labels, heads)]
        if len(sm) == 0:
            continue
        both = np.union1d(tm, sm)  # the equal labels are read for these instances only
        key_of = np.full(n, -1, dtype=np.int64)
        key_of[both] = _combine_codes([labels.codes(e, heads[both])[0] for e in rule.equal], len(both))
        tm_two = np.isin(tm, sm)                               # targets that also match the source side
        sm_not_t = sm[~_match_all(rule.target, labels, heads[sm])]  # sources that do not match the target side
        for tgt, src in ((tm[~tm_two], sm), (tm[tm_two], sm_not_t)):
            got = _covered(key_of[src], start[src], end[src], key_of[tgt], t_check[tgt])
            by_rule[tgt[got]] = r_i
    return by_rule


def _silence(silences, labels: _Labels, heads, targets, t_check) -> np.ndarray:
    """Per instance: the index of the first silence muting it at its check time (-1)."""
    by = np.full(len(heads), -1, dtype=np.int64)
    for s_i, s in enumerate(silences):
        cand = np.flatnonzero(targets & (by < 0) & (t_check >= s.starts_at.value) & (t_check < s.ends_at.value))
        if len(cand):
            by[cand[_match_all(s.matchers, labels, heads[cand])]] = s_i
    return by


def _notifications(group: np.ndarray, group_names: list, t: np.ndarray, delta: np.ndarray,
                   cfg: AlertingConfig, horizon: int) -> pd.DataFrame:
    """Alertmanager's notifications for +1 (alert starts firing) / -1 (resolves) events per group.

    A group's first notification goes out ``group_wait`` after its first alert; then at most one per
    ``group_interval`` tick, sent when alerts were added or resolved in the tick, else again after
    ``repeat_interval`` while anything fires. A group whose alerts all resolved is gone after that
    notification; a later alert (more than one interval later, an approximation of the flush time) starts a
    new group with ``group_wait`` again.
    """
    cols = {"time": pd.Series([], dtype="datetime64[ns, UTC]"), "group_key": pd.Series([], dtype=object),
            "alerts": pd.Series([], dtype=np.int64), "kind": pd.Series([], dtype=object)}
    if len(t) == 0:
        return pd.DataFrame(cols)
    gw, gi, ri = (int(round(x * _SEC)) for x in (cfg.group_wait_s, cfg.group_interval_s, cfg.repeat_interval_s))
    gi = max(gi, 1)
    o = np.lexsort((-delta, t, group))
    g, t, d = group[o], t[o], delta[o]
    n = len(t)
    first = np.ones(n, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    gs = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    cs = np.cumsum(d)
    active = cs - cs[gs] + d[gs]
    new = first.copy()
    new[1:] |= (active[:-1] <= 0) & (t[1:] - t[:-1] > gi)
    sid = np.cumsum(new) - 1
    ff = (t[new] + gw)[sid]
    k = np.where(t <= ff, 0, (t - ff + gi - 1) // gi)
    # One notification per (session, tick) with events in it.
    run_new = new.copy()
    run_new[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(run_new)
    last = np.r_[starts[1:], n] - 1
    resolved = np.add.reduceat((d < 0).astype(np.int64), starts)
    act = active[last]
    k_run, s_run = k[starts], sid[starts]
    time = ff[starts] + k_run * gi
    kind = np.where(new[starts], 0, 1)  # codes of first, update (repeat: 2)
    # Repeats between a run and the next run of its session (or the horizon), while anything fires.
    r = max(1, math.ceil(ri / gi))
    same_next = np.r_[s_run[1:] == s_run[:-1], False]
    k_h = np.where(horizon >= ff[starts], (horizon - ff[starts]) // gi, -1)
    limit = np.where(same_next, np.r_[k_run[1:], 0] - 1, k_h)
    n_rep = np.where(act > 0, np.maximum(0, (limit - k_run) // r), 0)
    rep_run = np.repeat(np.arange(len(starts)), n_rep)
    m = np.arange(len(rep_run)) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep) + 1
    all_time = np.r_[time, ff[starts][rep_run] + (k_run[rep_run] + r * m) * gi]
    all_group = np.r_[g[starts], g[starts][rep_run]]
    all_count = np.r_[act + resolved, act[rep_run]]
    all_kind = np.r_[kind, np.full(len(rep_run), 2)]
    names = np.asarray(group_names, dtype=object)
    name_rank = np.empty(len(names), dtype=np.int64)
    name_rank[np.argsort(names.astype(str), kind="stable")] = np.arange(len(names))
    o = np.lexsort((name_rank[all_group], all_time))  # by time, then group key: no string sort of every row
    # Categoricals: a million notifications need not hold a million string objects.
    return pd.DataFrame({"time": pd.to_datetime(all_time[o], utc=True),
                         "group_key": pd.Categorical.from_codes(all_group[o], categories=pd.Index(names, dtype=object)),
                         "alerts": all_count[o].astype(np.int64),
                         "kind": pd.Categorical.from_codes(all_kind[o], categories=["first", "update", "repeat"])})


def _group_names(labels: _Labels, heads, group_by) -> tuple[np.ndarray, list]:
    """Group code per instance and Alertmanager-style group keys ('{}:{alertname="X", service="Y"}')."""
    cols = [labels.codes(g, heads) for g in group_by]
    code = _combine_codes([c for c, _ in cols], len(heads))
    n_groups = int(code.max()) + 1 if len(code) else 0
    first = _first_per(code, np.arange(len(code)), n_groups)
    names = ["{}:{" + ", ".join(f'{g}="{u[c[i]]}"' for g, (c, u) in zip(group_by, cols)) + "}" for i in first]
    return code, names


def _chain_end(fp_of, start, end, dup) -> np.ndarray:
    """Per alert instance: the end of the last instance in its chain of deduplicated re-fires (the instances of the
    same fingerprint after it, up to the next one that was not a duplicate): how long a flapping alert really
    fired."""
    o = np.lexsort((start, fp_of))
    chain = np.cumsum(~dup[o] | np.r_[True, fp_of[o][1:] != fp_of[o][:-1]])
    last = pd.Series(end[o]).groupby(chain).transform("max").to_numpy()
    out = np.empty_like(end)
    out[o] = last
    return out


def _cluster(labels: _Labels, heads, t, topology: Topology, window_ns: int, held_until=None) -> np.ndarray:
    """Incident number per live instance: same part of the topology and gap <= window to the previous alert (or,
    with ``held_until``, to the latest time an earlier alert of that part held its incident open)."""
    (svc, svc_u), (comp, comp_u) = labels.codes("service", heads), labels.codes("component", heads)
    pair = _combine_codes([svc, comp], len(heads))
    n_pairs = int(pair.max()) + 1 if len(pair) else 0
    first = _first_per(pair, np.arange(len(pair)), n_pairs)  # topology looked up once per distinct pair
    names = [topology.cluster(str(svc_u[svc[i]]), str(comp_u[comp[i]])) for i in first]
    ccode = pd.factorize(np.asarray(names, dtype=object))[0][pair] if n_pairs else np.zeros(0, np.int64)
    o = np.lexsort((t, ccode))
    reach = t[o] if held_until is None else \
        pd.Series(np.maximum(held_until, t)[o]).groupby(ccode[o]).cummax().to_numpy()
    new = np.ones(len(o), dtype=bool)
    new[1:] = (ccode[o[1:]] != ccode[o[:-1]]) | (t[o[1:]] - window_ns > reach[:-1])   # no overflow at int64 max
    inc = np.empty(len(o), dtype=np.int64)
    inc[o] = np.cumsum(new) - 1
    return inc


# ---------------------------------------------------------------- the pipeline

def correlate(frame: pd.DataFrame, config: AlertingConfig | None = None, topology: Topology | None = None, *,
              window: str | float = "30m", flap_window: str | float = "30m", min_alerts: int = 1,
              noise_severities: tuple[str, ...] = ("info", "none"), hold_open: tuple[str, ...] = ("page",),
              until=None) -> Correlation:
    """Run the pipeline over the alert frame (see the module docstring).

    ``window``: the longest gap (duration, seconds if a number) between an alert and the previous alert of its
    incident (received times), or the time a page of the incident resolved.
    ``flap_window``: how close a re-fire with the same content must follow to count as a duplicate.
    ``min_alerts``: incidents with fewer distinct alert instances are dropped as noise (Keep's threshold).
    ``hold_open``: severities (exact label values) whose alerts keep their incident open while they fire, the
    window then counting from their resolution (of the last deduplicated re-fire of a flapping one) instead of
    their arrival: a page that keeps burning is one incident, however long it burns.
    ``until``: the end of the observation (UTC), for repeat notifications; default the last ``received_at``.
    The frame's ``true_cause`` column, if any, is never read.
    """
    config = config or AlertingConfig()
    noise_severities = (noise_severities,) if isinstance(noise_severities, str) else tuple(noise_severities)
    hold_open = (hold_open,) if isinstance(hold_open, str) else tuple(hold_open)
    topology = topology or Topology()
    n = len(frame)
    if n == 0:
        return _empty_result(frame)
    window_ns = int(parse_duration(window, "<argument>", "window") * _SEC)
    flap_ns = int(parse_duration(flap_window, "<argument>", "flap_window") * _SEC)
    gw_ns = int(round(config.group_wait_s * _SEC))

    t_in, start, ends = _ns(frame["received_at"]), _ns(frame["starts_at"]), _ns(frame["ends_at"])
    firing = frame["status"].to_numpy(dtype=object) == "firing"
    fp, fp_u = pd.factorize(frame["fingerprint"].to_numpy(dtype=object))
    order = np.argsort(t_in, kind="stable")
    # An alert instance: one fingerprint from one startsAt (a flapping alert makes a new instance per firing).
    inst = _combine_codes([fp, pd.factorize(start)[0]], n)
    n_inst = int(inst.max()) + 1
    labels = _Labels(frame)

    dup = _dedup(inst, fp, firing, t_in, order, frame["annotations"].to_numpy(dtype=object), flap_ns)

    # Instance table: head row (first kept firing row, else the first row), firing interval, check time.
    head_fire = _first_per(inst, order[(firing & ~dup)[order]], n_inst)
    head_any = _first_per(inst, order, n_inst)
    heads = np.where(head_fire >= 0, head_fire, head_any)
    has_fire_any = np.bincount(inst[firing], minlength=n_inst) > 0
    has_kept = np.bincount(inst[~dup], minlength=n_inst) > 0
    res_rows = np.flatnonzero(~firing)
    res_t = np.where((ends[res_rows] != _NAT) & (ends[res_rows] >= start[res_rows]), ends[res_rows], t_in[res_rows])
    end = np.full(n_inst, _INF, dtype=np.int64)
    if len(res_rows):
        e = pd.Series(res_t).groupby(inst[res_rows]).min()
        end[e.index.to_numpy()] = e.to_numpy()
    i_start = start[heads]
    t_check = t_in[heads] + gw_ns

    reason = np.full(n_inst, _NONE, dtype=np.int64)
    reason[(has_fire_any & (head_fire < 0)) | ~has_kept] = _DUP  # only its re-fires/re-sends were kept
    targets = reason == _NONE
    rule_of = _inhibit(config.inhibit_rules, labels, heads, targets, i_start, end, t_check)
    reason[rule_of >= 0] = _INH
    silence_of = _silence(config.silences, labels, heads, reason == _NONE, t_check)
    reason[silence_of >= 0] = _SIL
    reason[(reason == _NONE) & ~has_fire_any] = _RES

    # Notifications: every instance Alertmanager would deliver (noise included: it is sent, just not an incident).
    notified = np.flatnonzero(reason == _NONE)
    first_res = _first_per(inst, order[(~firing & ~dup)[order]], n_inst)
    notes = _note_events(labels, heads, notified, first_res, t_in, config, until)

    sev_codes, sev_u = labels.codes("severity", heads)
    noisy = np.isin(sev_u, list(noise_severities))[sev_codes] if len(sev_u) else np.zeros(n_inst, dtype=bool)
    reason[(reason == _NONE) & noisy] = _NOISE
    live = np.flatnonzero(reason == _NONE)
    inc_of = np.full(n_inst, -1, dtype=np.int64)
    if len(live):
        holds = np.isin(sev_u, list(hold_open))[sev_codes[live]] if len(sev_u) else np.zeros(len(live), bool)
        held = None
        if holds.any():
            held_end = _chain_end(fp[heads], i_start, end, reason == _DUP)
            held = np.where(holds, held_end[live], t_in[heads[live]])
        inc = _cluster(labels, heads[live], t_in[heads[live]], topology, window_ns, held)
        small = np.bincount(inc)[inc] < min_alerts
        reason[live[small]] = _NOISE
        inc_of[live[~small]] = inc[~small]
    return _assemble(frame, labels, fp, fp_u, firing, dup, inst, reason, inc_of, rule_of, silence_of, t_in, notes, n)


def _note_events(labels: _Labels, heads, notified, first_res, t_in, config, until) -> pd.DataFrame:
    """Build the +1/-1 events of the delivered instances and simulate the groups' notifications."""
    if len(notified) == 0:
        return _notifications(np.zeros(0, np.int64), [], np.zeros(0, np.int64), np.zeros(0, np.int64), config, 0)
    code, names = _group_names(labels, heads[notified], config.group_by)
    t_on = t_in[heads[notified]]
    rr = first_res[notified]
    has_res = rr >= 0
    t_off = np.maximum(t_in[rr[has_res]], t_on[has_res])
    horizon = _ns(pd.Series([until])).item() if until is not None else int(t_in.max())
    return _notifications(np.r_[code, code[has_res]], names, np.r_[t_on, t_off],
                          np.r_[np.ones(len(t_on), np.int64), -np.ones(int(has_res.sum()), np.int64)], config, horizon)


def _assemble(frame, labels, fp, fp_u, firing, dup, inst, reason, inc_of, rule_of, silence_of, t_in, notes, n) -> Correlation:
    """Row-level assignment, the dropped table, and the incidents table with deterministic ids."""
    row_reason = np.where(dup, _DUP, reason[inst])
    row_inc = np.where(row_reason == _NONE, inc_of[inst], -1)
    # Ids in order of each incident's first alert (ties: its first row's position).
    kept = np.flatnonzero(row_inc >= 0)
    n_inc = int(row_inc.max()) + 1 if len(kept) else 0
    first_t = np.full(n_inc, _INF, dtype=np.int64)
    first_row = np.full(n_inc, n, dtype=np.int64)
    np.minimum.at(first_t, row_inc[kept], t_in[kept])
    at_first = kept[t_in[kept] == first_t[row_inc[kept]]]
    np.minimum.at(first_row, row_inc[at_first], at_first)
    rank = np.empty(n_inc, dtype=np.int64)
    rank[np.lexsort((first_row, first_t))] = np.arange(n_inc)
    ids = np.array([f"INC-{i + 1:04d}" for i in range(n_inc)], dtype=object)
    reason_names = np.array(REASONS, dtype=object)
    assign = np.empty(n, dtype=object)
    assign[kept] = ids[rank[row_inc[kept]]]
    drop_rows = np.flatnonzero(row_inc < 0)
    assign[drop_rows] = reason_names[row_reason[drop_rows] - 1]
    # Fingerprints and details only for the dropped rows (the only ones that show them).
    drop_reason, drop_inst = row_reason[drop_rows], inst[drop_rows]
    detail = np.full(len(drop_rows), "", dtype=object)
    inh = drop_reason == _INH
    detail[inh] = np.char.add("inhibit_rules[", rule_of[drop_inst[inh]].astype(str)).astype(object) + "]"
    sil = drop_reason == _SIL
    detail[sil] = np.char.add("silences[", silence_of[drop_inst[sil]].astype(str)).astype(object) + "]"
    dropped = pd.DataFrame({"row": drop_rows, "fingerprint": np.asarray(fp_u, dtype=object)[fp[drop_rows]],
                            "reason": assign[drop_rows], "detail": detail})
    incidents = _incidents(labels, fp, fp_u, kept, rank[row_inc[kept]], ids, inst, t_in, firing)
    return Correlation(incidents, dropped, notes, pd.Series(assign, index=frame.index, name="assignment"), n)


def _lists(inc: np.ndarray, codes: np.ndarray, uniques: np.ndarray, n_inc: int, by_name: bool = True) -> list[list[str]]:
    """Distinct values per incident from value codes per row, sorted by name (else in order of first
    appearance in the frame, which spares a string sort of a million fingerprints); no per-row Python."""
    names = np.asarray(uniques, dtype=object)
    # Fingerprints are str already: skip the round trip through a fixed-width str array, unless it could
    # change a value (a non-str, or a NUL, which such an array drops at the end of a string).
    if by_name or pd.api.types.infer_dtype(names, skipna=False) != "string" or "\0" in "".join(names):
        names = names.astype(str)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(names, kind="stable") if by_name else np.arange(len(names))] = np.arange(len(names))
    pairs = np.sort(pd.unique(inc * np.int64(len(names) + 1) + rank[codes]))  # by incident, then value
    p_inc, p_rank = pairs // (len(names) + 1), pairs % (len(names) + 1)
    by_rank = names[np.argsort(rank)]
    cuts = np.searchsorted(p_inc, np.arange(1, n_inc))
    return [list(x) for x in np.split(by_rank[p_rank].astype(object), cuts)]


def _incidents(labels: _Labels, fp, fp_u, kept, inc, ids, inst, t_in, firing) -> pd.DataFrame:
    """One row per incident, from the rows assigned to it (``inc``: incident number per kept row)."""
    cols = ["id", "fingerprints", "alerts", "rows", "services", "components", "first_at", "last_at", "severity", "status"]
    n_inc = len(ids)
    if n_inc == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    first_t = np.full(n_inc, _INF, dtype=np.int64)
    last_t = np.full(n_inc, _NAT, dtype=np.int64)
    np.minimum.at(first_t, inc, t_in[kept])
    np.maximum.at(last_t, inc, t_in[kept])
    # All rows of an instance share its incident, so per-instance counts need no distinct-pair pass.
    inc_of_inst = np.full(int(inst.max()) + 1, -1, dtype=np.int64)
    inc_of_inst[inst[kept]] = inc
    in_inc = inc_of_inst >= 0
    alerts = np.bincount(inc_of_inst[in_inc], minlength=n_inc)
    # An instance is resolved once any of its rows says so; an incident, once all its instances are.
    resolved_inst = np.zeros(len(inc_of_inst), dtype=bool)
    resolved_inst[inst[kept][~firing[kept]]] = True
    open_alerts = np.bincount(inc_of_inst[in_inc & ~resolved_inst], minlength=n_inc)
    sev_c, sev_u = labels.codes("severity", kept)
    sev_rank = np.array([_SEVERITY_RANK.get(str(u).lower(), 0) for u in sev_u], dtype=np.int64)
    best = np.full(n_inc, -1, dtype=np.int64)
    np.maximum.at(best, inc, sev_rank[sev_c] * np.int64(len(sev_u) + 1) + sev_c) if len(sev_u) else None
    return pd.DataFrame({
        "id": ids, "fingerprints": _lists(inc, fp[kept], fp_u, n_inc, by_name=False),
        "alerts": alerts.astype(np.int64), "rows": np.bincount(inc, minlength=n_inc).astype(np.int64),
        "services": _lists(inc, *labels.codes("service", kept), n_inc),
        "components": _lists(inc, *labels.codes("component", kept), n_inc),
        "first_at": pd.to_datetime(first_t, utc=True), "last_at": pd.to_datetime(last_t, utc=True),
        "severity": sev_u[best % (len(sev_u) + 1)] if len(sev_u) else "",
        "status": np.where(open_alerts > 0, "firing", "resolved").astype(object),
    })[cols]


def _empty_result(frame) -> Correlation:
    cfg = AlertingConfig()
    notes = _notifications(np.zeros(0, np.int64), [], np.zeros(0, np.int64), np.zeros(0, np.int64), cfg, 0)
    return Correlation(_incidents(None, None, None, None, None, [], None, None, None),
                       pd.DataFrame({"row": [], "fingerprint": [], "reason": [], "detail": []}),
                       notes, pd.Series([], index=frame.index, dtype=object, name="assignment"), 0)


# ---------------------------------------------------------------- output and quality

def _iso(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def noise_reduction_pct(alerts_in: int, notifications_out: int) -> float:
    """100 x (1 - notifications / alerts), in percent; 0.0 when no alerts came in."""
    return 0.0 if alerts_in <= 0 else 100.0 * (1.0 - notifications_out / alerts_in)


def to_json(c: Correlation) -> dict:
    """The ``oncall correlate --json`` object (DESIGN.md): ``incidents`` (``id``, ``fingerprints``, ...) and
    ``dropped`` (``fingerprint``, ``reason``, ``row``), plus the totals the scorecard uses."""
    incidents = [{
        "id": r.id, "fingerprints": list(r.fingerprints), "alerts": int(r.alerts), "rows": int(r.rows),
        "services": list(r.services), "components": list(r.components), "first_at": _iso(r.first_at),
        "last_at": _iso(r.last_at), "severity": str(r.severity), "status": str(r.status),
    } for r in c.incidents.itertuples(index=False)]
    dropped = [{"fingerprint": str(f), "reason": str(rs), "row": int(rw), "detail": str(dt)}
               for rw, f, rs, dt in zip(c.dropped["row"], c.dropped["fingerprint"], c.dropped["reason"], c.dropped["detail"])]
    sent = c.oncall_notifications
    return {"incidents": incidents, "dropped": dropped, "alerts_total": int(c.alerts_in),
            "group_notifications": len(c.notifications), "notifications_sent": sent,
            "noise_reduction_pct": round(noise_reduction_pct(c.alerts_in, sent), 2)}


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_precision_recall(assignment: pd.Series, true_cause: pd.Series) -> tuple[float, float]:
    """Pairwise precision and recall of incidents against true causes, over rows not dropped.

    Precision: of the pairs of rows placed in one incident, the share with the same true cause; recall: of the
    pairs with the same true cause, the share placed in one incident. O(n) by the contingency table:
    pairs = sum over cells of C(n, 2). Returns 1.0 where there is no pair to judge.
    """
    a = pd.Series(np.asarray(assignment, dtype=object))
    kept = ~a.isin(REASONS).to_numpy()
    inc = pd.factorize(a[kept])[0]
    cause = pd.factorize(pd.Series(np.asarray(true_cause, dtype=object))[kept].astype(str))[0]
    if len(inc) == 0:
        return 1.0, 1.0
    both = _pairs(pd.Series(inc * (cause.max() + 1) + cause).value_counts().to_numpy())
    same_inc, same_cause = _pairs(np.bincount(inc)), _pairs(np.bincount(cause))
    return (both / same_inc if same_inc else 1.0), (both / same_cause if same_cause else 1.0)


def naive_one_incident_per_alertname(frame: pd.DataFrame) -> pd.Series:
    """The naive baseline: every alert name seen firing is its own incident (no dedup across names, no
    topology, no time). Returns the per-row assignment (NAIVE-0001... in order of first firing; rows of names
    never seen firing get "resolved")."""
    firing = frame["status"].to_numpy(dtype=object) == "firing"
    names = frame["alertname"].to_numpy(dtype=object)
    t = _ns(frame["received_at"])
    o = np.argsort(t, kind="stable")
    seen = pd.unique(names[o][firing[o]])
    ids = {nm: f"NAIVE-{i + 1:04d}" for i, nm in enumerate(seen)}
    return pd.Series([ids.get(nm, "resolved") for nm in names], index=frame.index, name="assignment")
