"""Alert storm -> incidents: Alertmanager's steps, then a receiver's (course module M32: support desk and AIOps).

Alertmanager's own order: its dispatcher routes each incoming alert and aggregates it into a group by
``group_by`` FIRST; when a group flushes (``group_wait`` after its first alert, then every ``group_interval``)
its notification pipeline runs inhibition, silences, then dedup against its notification log (is this group's
content new since the last notification? ``repeat_interval`` forces a resend). Its dedup is per notification,
never per alert fingerprint: fingerprint dedup is a receiver-side step (Keep and the like).

The correlator sits on the receiving side of the webhook and reads what Alertmanager delivered (the frame of
``alerts.py``), so it first does the receiver's step, then re-applies Alertmanager's per-flush steps at each
alert's flush time, then correlates; every step vectorized (sort once, factorize, numpy):

1. receiver-side dedup (Keep-style, by fingerprint): re-sends of the same alert instance (same fingerprint,
   ``starts_at`` and status) are duplicates; then a "full" dedup: a new instance whose content without its
   volatile fields (times, generator URL) equals the previous instance's of the same fingerprint and status
   within ``flap_window`` is a duplicate too (a flapping alert re-firing with the same labels and annotations).
2. at each instance's group flush (``received_at`` + ``group_wait``), Alertmanager's inhibition: its
   ``inhibit_rules`` (matchers ``=``, ``!=``, ``=~``, ``!~``; ``equal`` labels, a missing label counting as ""
   so a rule whose ``equal`` labels both sides lack still matches; the source must be firing at that time; an
   alert matching both sides is never inhibited by that rule, Alertmanager's ``excludeTwoSidedMatch``).
3. then its silences: matchers and a [startsAt, endsAt) window.
4. resolved handling: an alert instance seen only as resolved never opens an incident.
5. the groups' notifications (``dispatch.notifications``: ``group_by``, ``group_wait``, ``group_interval``,
   ``repeat_interval``): the notifications Alertmanager sends for what is left (``dispatch.deliver``'s model,
   vectorized: the same notifications for the same alert instances).
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

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..durations import parse_duration  # noqa: F401 - re-exported: the one duration parser
from ..errors import BadInput
_NONE, _DUP, _INH, _SIL, _RES, _NOISE = range(6)  # instance reason codes; _NONE = kept
_INF = np.iinfo(np.int64).max
_NAT = np.iinfo(np.int64).min
_SEC = 1_000_000_000  # ns per second
_SEVERITY_RANK = {"page": 6, "critical": 5, "error": 4, "high": 4, "warning": 3, "ticket": 3, "low": 2, "info": 1}


# ---------------------------------------------------------------- configuration

# The configuration (amconfig), the dispatcher model (dispatch) and the output and quality measures (quality)
# live beside this module; their names stay importable from here.
from .amconfig import (  # noqa: E402,F401
    AlertingConfig, InhibitRule, Matcher, Silence, Topology, alerting_config_from_dict, load_alerting_config,
    load_topology, parse_matcher, topology_from_dict)
from .dispatch import note_events as _note_events, notifications as _notifications  # noqa: E402,F401
from .frames import _combine_codes, _first_per, _Labels, _match_all, _ns  # noqa: E402,F401
from .quality import (  # noqa: E402,F401
    REASONS, naive_one_incident_per_alertname, noise_reduction_pct, pairwise_precision_recall, to_json)


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
    """Whether each target time falls inside a source interval of the same key (intervals merged per key).

    Sorts, running maxima and binary searches in numpy: an inhibition rule asks it about a few dozen instances
    of one night, where a pandas groupby and merge_asof cost a millisecond each (at a million alerts they take
    the same time)."""
    if len(src_key) == 0 or len(tgt_key) == 0:
        return np.zeros(len(tgt_key), dtype=bool)
    o = np.lexsort((src_start, src_key))
    k, s, e = src_key[o], src_start[o], src_end[o]
    # The latest end so far within each key (sorted by key, then start): a running maximum over the ends' ranks,
    # offset per key so that no key's maximum carries into the next.
    key_no = np.cumsum(np.r_[True, k[1:] != k[:-1]]) - 1
    ends, end_rank = np.unique(e, return_inverse=True)
    run_end = ends[np.maximum.accumulate(key_no * len(ends) + end_rank) - key_no * len(ends)]
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (s[1:] > run_end[:-1])
    firsts = np.flatnonzero(new)
    b_key, b_start, b_end = k[firsts], s[firsts], np.maximum.reduceat(e, firsts)
    # Each target's block: the last one of its key starting at or before it (blocks sort before targets at a tie).
    n_b = len(firsts)
    keys, times = np.r_[b_key, tgt_key], np.r_[b_start, tgt_t]
    order = np.lexsort((np.r_[np.zeros(n_b, np.int8), np.ones(len(tgt_t), np.int8)], times, keys))
    last = np.maximum.accumulate(np.where(order < n_b, order, -1))
    at_target = order >= n_b
    block, pos = last[at_target], order[at_target] - n_b
    found = block >= 0
    found[found] = b_key[block[found]] == tgt_key[pos[found]]
    hit = np.zeros(len(tgt_t), dtype=bool)
    # compared as float64, as the correlator always has (times near 1.7e18 ns round): the same verdicts
    hit[pos[found]] = tgt_t[pos[found]].astype(float) < b_end[block[found]].astype(float)
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
