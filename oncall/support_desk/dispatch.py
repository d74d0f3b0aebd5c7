"""Alertmanager's dispatcher, as the course models it (M32): alerts grouped by ``group_by``, each group flushed
``group_wait`` after its first alert and then on its ``group_interval`` ticks when something changed, or again
after ``repeat_interval`` while anything fires.

What Alertmanager really does, in order: the dispatcher routes each incoming alert and aggregates it into its
group first; when a group flushes, the notification pipeline runs inhibition, (time intervals,) silences, then
dedup against the notification log (is this group's content new since the last notification? ``repeat_interval``
forces a resend), then notifies with retries. Its dedup is per notification, never per alert fingerprint: that
is a receiver-side step (Keep and the like), as the correlator's ``_dedup``.

One dispatcher model, two algorithms: ``deliver`` (alert by alert: the webhook rows a storm's alerts make, for
``monitors.generate_alerts``; with ``as_alertmanager=True``, Alertmanager 0.25's own behaviours as well) and
``notifications`` (vectorized: the notifications the delivered alert instances make per group, for the
correlator's totals over millions of alerts). They give the same notifications for the same instances (count,
time, group and kind of each; ``tests/test_dispatch.py``): a group is deleted at the first flush that finds
nothing firing, an alert arriving before that flush joins the old group on its ticks, one arriving after it
starts a new group with ``group_wait``. Only their horizons differ (see ``notifications``).
``tests/prom/test_alertmanager.py`` and ``tests/prom/test_storm_replay.py`` (a whole night's storm, count for
count) compare ``deliver`` with a running Alertmanager.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .frames import _combine_codes, _first_per, _Labels, _ns

_SEC = 1_000_000_000  # ns per second


def _group_key(labels: dict, group_by: tuple[str, ...]) -> str:
    return "{}:{" + ", ".join(f'{g}="{labels.get(g, "")}"' for g in group_by) + "}"


def deliver(alerts: list[dict], storm, start: pd.Timestamp, end: pd.Timestamp, *,
            as_alertmanager: bool = False, removed_at=None) -> list[tuple]:
    """Simulate Alertmanager's dispatcher per group; returns (received_at, group_key, alert index, status) rows
    for notifications sent in [start, end).

    A group is created by its first alert and flushed ``group_wait`` later; then, on a grid of
    ``resend_interval`` ticks, it notifies when an alert started or resolved since the last tick, or when
    ``repeat_interval`` passed since its last notification while anything fires. A notification carries every
    firing alert of the group and those resolved since the last notification. A group with nothing firing after
    a notification is deleted; its next alert creates it anew.

    ``as_alertmanager``: what Alertmanager 0.25 does besides (``tests/prom/test_storm_replay.py`` replays a whole
    night to one and finds these, and only these, differences from the course's model):

    - it keeps one alert per fingerprint: an instance starting while another of its fingerprint fires merges
      into it (the earlier start, the later end), and one starting after the other resolved but before a flush
      sent that resolution replaces it (the resolution is never sent);
    - its dedup compares fingerprint sets with the last notification (its notification log): a group whose
      first flush finds nothing firing, or whose last notification had nothing firing, sends no resolutions;
    - ``removed_at(t)``: when a group left empty at ``t`` is really deleted (Alertmanager 0.25 deletes empty
      groups on its dispatcher's maintenance, every 30 s); an alert arriving before that joins the old group on
      its old ``group_interval`` ticks instead of starting a new group with ``group_wait``.

    Rows of a merged instance name the first instance of the merge.
    """
    if as_alertmanager:
        return _deliver_am(alerts, storm, start, end, removed_at)
    return [(tick, key, j, status) for tick, key, _, sent in _deliver_notes(alerts, storm, start, end)
            for j, status in sent]


def _deliver_notes(alerts: list[dict], storm, start: pd.Timestamp, end: pd.Timestamp) -> list[tuple]:
    """``deliver``'s notifications: (received_at, group_key, kind, [(alert index, status), ...]), kind
    'first' (a group's first flush), 'update' (alerts started or resolved since the last tick) or 'repeat'."""
    gw = pd.Timedelta(seconds=storm.group_wait_s).value
    gi = pd.Timedelta(seconds=storm.resend_interval_s).value
    ri = pd.Timedelta(seconds=storm.repeat_interval_s).value
    t_end = end.value
    t_begin = start.value
    groups: dict[str, list[int]] = {}
    for k, a in enumerate(alerts):
        groups.setdefault(_group_key(a["labels"], storm.group_by), []).append(k)
    notes = []
    never = np.iinfo(np.int64).max
    for key in sorted(groups):
        members = np.array(groups[key])
        s = np.array([alerts[k]["start"].value for k in members], dtype=np.int64)
        e = np.array([never if alerts[k]["end"] is None else alerts[k]["end"].value for k in members], dtype=np.int64)
        done = np.zeros(len(members), dtype=bool)   # resolution already delivered
        changes = np.unique(np.r_[s, e[e < never]])   # every start and end, sorted: a change is one of them
        pending = np.ones(len(members), dtype=bool)  # not yet part of any group's life
        while pending.any():
            first = s[pending].min()
            tick, prev, last_sent = first + gw, None, None
            while tick < t_end:
                started = s <= tick
                firing = started & (e > tick)
                any_firing = bool(firing.any())
                resolved_now = started & (e <= tick) & ~done
                # an alert started or ended in (prev, tick]: a change between the two ticks
                upto = int(changes.searchsorted(tick, side="right"))
                changed = prev is None or upto > int(changes.searchsorted(prev, side="right"))
                repeat = last_sent is not None and any_firing and tick - last_sent >= ri
                if changed or repeat:
                    send = (firing | resolved_now).nonzero()[0]
                    if len(send) and tick >= t_begin:
                        kind = "first" if prev is None else "update" if changed else "repeat"
                        notes.append((tick, key, kind,
                                      [(m, "firing" if f else "resolved")
                                       for m, f in zip(members[send].tolist(), firing[send].tolist())]))
                    if len(send):
                        last_sent = tick
                    done |= resolved_now
                pending &= ~started
                if not any_firing:
                    break  # the group is gone; a later alert creates it again
                # Next tick with something to do: the next change, or the repeat deadline.
                target = min(int(changes[upto]) if upto < len(changes) else never,
                             (last_sent + ri) if last_sent is not None else never)
                if target >= t_end:
                    break
                prev = tick
                tick = tick + max(1, math.ceil((target - tick) / gi)) * gi
            pending &= s > tick  # alerts that started (and maybe ended) while this group lived were handled
    return notes


def _merge_per_fingerprint(alerts: list[dict]) -> tuple[list[dict], list[int]]:
    """Alertmanager's store: an instance starting while an earlier one of its fingerprint fires merges into it.
    Returns the instances left and, for each, the index of its first instance in ``alerts``."""
    order = sorted(range(len(alerts)), key=lambda k: alerts[k]["start"].value)
    out, idx, live = [], [], {}
    for k in order:
        a = alerts[k]
        fp = _label_key(a["labels"])
        j = live.get(fp)
        if j is not None and (out[j]["end"] is None or a["start"] < out[j]["end"]):
            if out[j]["end"] is not None:
                out[j]["end"] = None if a["end"] is None else max(out[j]["end"], a["end"])
            continue
        live[fp] = len(out)
        out.append({"labels": a["labels"], "start": a["start"], "end": a["end"]})
        idx.append(k)
    return out, idx


def _label_key(labels: dict) -> tuple:
    return tuple(sorted(labels.items()))


def _deliver_am(alerts, storm, start, end, removed_at) -> list[tuple]:
    """``deliver`` with Alertmanager 0.25's behaviours (see there)."""
    merged, idx = _merge_per_fingerprint(alerts)
    gw = pd.Timedelta(seconds=storm.group_wait_s).value
    gi = pd.Timedelta(seconds=storm.resend_interval_s).value
    ri = pd.Timedelta(seconds=storm.repeat_interval_s).value
    t_end, t_begin = end.value, start.value
    never = np.iinfo(np.int64).max
    groups: dict[str, list[int]] = {}
    for k, a in enumerate(merged):
        groups.setdefault(_group_key(a["labels"], storm.group_by), []).append(k)
    rows = []
    for key in sorted(groups):
        members = np.array(groups[key])
        s = np.array([merged[k]["start"].value for k in members], dtype=np.int64)
        e = np.array([never if merged[k]["end"] is None else merged[k]["end"].value for k in members], dtype=np.int64)
        fp = pd.factorize(np.array([str(_label_key(merged[k]["labels"])) for k in members], dtype=object))[0]
        nxt_same = np.full(len(members), never, dtype=np.int64)   # when the fingerprint's next instance starts
        o = np.lexsort((s, fp))
        same = fp[o][1:] == fp[o][:-1]
        nxt_same[o[:-1][same]] = s[o][1:][same]
        done = np.zeros(len(members), dtype=bool)
        changes = np.unique(np.r_[s, e[e < never]])
        pending = np.ones(len(members), dtype=bool)
        last_firing = None   # fingerprints firing in the last notification (None: the log has no entry)
        while pending.any():
            first = s[pending].min()
            tick, last_sent = first + gw, None
            while tick < t_end:
                current = (s <= tick) & (nxt_same > tick)
                firing = current & (e > tick)
                resolved_now = current & (e <= tick) & ~done
                f_fps = set(fp[firing].tolist())
                if last_firing is None:
                    update = bool(firing.any())
                elif not f_fps <= last_firing:
                    update = True
                elif not firing.any():
                    update = len(last_firing) > 0
                elif resolved_now.any():
                    update = True
                else:
                    update = last_sent is not None and tick - last_sent >= ri
                if update:
                    send = np.flatnonzero(firing | resolved_now)
                    if tick >= t_begin:
                        rows += [(tick, key, idx[members[j]], "firing" if firing[j] else "resolved") for j in send]
                    last_sent, last_firing = tick, f_fps
                done |= ((s <= tick) & (e <= tick)) | (nxt_same <= tick)   # resolved alerts leave at each flush
                pending &= ~(s <= tick)
                nxt = changes[changes > tick]
                nxt = int(nxt[0]) if len(nxt) else never
                if not firing.any():
                    gone = tick if removed_at is None else removed_at(tick)
                    if nxt >= gone:
                        break   # deleted; a later alert creates the group anew
                target = min(nxt, (last_sent + ri) if last_sent is not None and firing.any() else never)
                if target >= t_end:
                    break
                tick = tick + max(1, math.ceil((target - tick) / gi)) * gi
            pending &= s > tick
    return rows


def notifications(group: np.ndarray, group_names: list, t: np.ndarray, delta: np.ndarray,
                   cfg, horizon: int) -> pd.DataFrame:
    """Alertmanager's notifications for +1 (alert starts firing) / -1 (resolves) events per group.

    A group's first notification goes out ``group_wait`` after its first alert; then at most one per
    ``group_interval`` tick, sent when alerts were added or resolved in the tick, else again after
    ``repeat_interval`` while anything fires. A group is deleted at the first flush that finds nothing firing;
    an alert arriving before that flush joins it (on its ticks), one arriving after starts a new group with
    ``group_wait`` again (``_sessions``). Exactly ``deliver``'s notifications for the same instances (a +1 at
    each start, a -1 at each end), the count of each being its rows there (``tests/test_dispatch.py``); only the
    horizon differs: every notification an event causes is counted, and repeats up to ``horizon`` (inclusive),
    where ``deliver`` cuts all rows to ``[start, end)``.
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
    new = _sessions(first, active, t, gw, gi)
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


def _sessions(first: np.ndarray, active: np.ndarray, t: np.ndarray, gw: int, gi: int) -> np.ndarray:
    """Which events (sorted by group, time, starts first) start a new life of their group.

    A group's life starts at its first alert; it flushes at ``ff = start + group_wait`` and on the ticks
    ``ff + k * group_interval`` after, and ends at the first tick where nothing fires. So the event after one
    that leaves the group empty (``active == 0``) starts a new life exactly when it comes after that event's
    tick (the first tick at or after it, ``ff`` at the earliest). That tick depends on the life's start, so
    the lives are found in order; but an empty spell of at least ``group_interval`` and longer than
    ``group_wait`` ends the life whatever its start (the tick comes less than one interval after the event,
    or at ``ff``, at most ``group_wait`` after it): those are set at once, and only the shorter spells are
    walked one by one, each from the last life's start.
    """
    n = len(t)
    new = first.copy()
    zero = np.flatnonzero((active[:-1] <= 0) & ~first[1:])   # leaves its group empty; a next event follows
    gap = t[zero + 1] - t[zero]
    sure = gap >= max(gi, gw + 1)
    new[zero[sure] + 1] = True
    walk = zero[~sure]
    if len(walk) == 0:
        return new
    base = np.maximum.accumulate(np.where(new, np.arange(n), 0))[walk]   # the last life's start set so far
    starts = []
    life, t_life = -1, 0
    for i, b, t_b, t_i, t_next in zip(walk.tolist(), base.tolist(), t[base].tolist(), t[walk].tolist(),
                                      t[walk + 1].tolist()):
        if b > life:
            life, t_life = b, t_b
        ff = t_life + gw
        tick = ff if t_i <= ff else ff + -(-(t_i - ff) // gi) * gi
        if t_next > tick:   # the group was deleted at that tick: the next alert starts it anew
            starts.append(i + 1)
            life, t_life = i + 1, t_next
    new[starts] = True
    return new


def _group_names(labels: _Labels, heads, group_by) -> tuple[np.ndarray, list]:
    """Group code per instance and Alertmanager-style group keys ('{}:{alertname="X", service="Y"}')."""
    cols = [labels.codes(g, heads) for g in group_by]
    code = _combine_codes([c for c, _ in cols], len(heads))
    n_groups = int(code.max()) + 1 if len(code) else 0
    first = _first_per(code, np.arange(len(code)), n_groups)
    names = ["{}:{" + ", ".join(f'{g}="{u[c[i]]}"' for g, (c, u) in zip(group_by, cols)) + "}" for i in first]
    return code, names


def note_events(labels: _Labels, heads, notified, first_res, t_in, config, until) -> pd.DataFrame:
    """Build the +1/-1 events of the delivered instances and simulate the groups' notifications."""
    if len(notified) == 0:
        return notifications(np.zeros(0, np.int64), [], np.zeros(0, np.int64), np.zeros(0, np.int64), config, 0)
    code, names = _group_names(labels, heads[notified], config.group_by)
    t_on = t_in[heads[notified]]
    rr = first_res[notified]
    has_res = rr >= 0
    t_off = np.maximum(t_in[rr[has_res]], t_on[has_res])
    horizon = _ns(pd.Series([until])).item() if until is not None else int(t_in.max())
    return notifications(np.r_[code, code[has_res]], names, np.r_[t_on, t_off],
                          np.r_[np.ones(len(t_on), np.int64), -np.ones(int(has_res.sum()), np.int64)], config, horizon)
