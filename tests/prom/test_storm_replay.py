"""issue 20, 3: a whole shift's storm replayed to a running Alertmanager (Debian's 0.25) on 127.0.0.1, compared
count for count with the course's dispatcher model (``dispatch.deliver``) for the same input.

Input: every alert instance of the shift's storm (its rule, background and incident alerts and the burn-rate
alerts; scenarios bad-deploy and provider-outage, seed 1), its times floored to the minute, an instance firing from
before the shift clipped to the shift's start. Each instance is posted once, at its start, with its ``endsAt``, so
Alertmanager resolves it on its own clock. The night is compressed ``SCALE`` times (10 hours in 2 minutes);
Alertmanager's timers are the course's divided by ``SCALE`` (group_wait 30 s -> 0.1 s, group_interval 5 min -> 1 s,
repeat_interval 4 h -> 48 s, less a quarter of a group_interval: see ``_am_config``). On whole minutes, every
event is half a minute (0.1 s of real time) from every flush of every group, so the HTTP round trips and the
timers' wake-ups on a loaded machine do not move an event across a flush; the test reports how late they were.

Two Alertmanagers hear the same replay, the two scenarios at once:

- ``dispatch``: the course's route, no inhibit rules, no silences. Its notifications, group by group, are
  ``deliver(..., as_alertmanager=True)``'s count for count: the same alerts firing and resolved in each, at the
  same flush (first notifications, updates, resends). And the course's own model (``deliver`` as the shift runs
  it) differs from them only as stated: the same groups, the same alerts notified in each, the same first
  notification; the counts by no more than the stated causes allow.
- ``full``: the course's whole config and silences (``alertmanager.yaml``, ``silences.yaml``, moved onto the
  replay's clock): which alerts it inhibited and silenced, against the course's correlator on the shift's rows;
  ``oncall correlate`` reads its receiver's capture unchanged.

The differences, each stated here and bounded by a test:

1. Group lifetime. The model deletes a group at the notification that leaves nothing firing, so a later alert of
   that group starts a new group with ``group_wait``. Alertmanager 0.25 deletes empty groups on its dispatcher's
   maintenance, every 30 s of real time (fixed in its code; the test dates it from the drops of its
   ``alertmanager_dispatcher_aggregation_groups``), so an alert arriving before that joins the old group and goes
   out on the old group's ``group_interval`` tick. The maintenance falls on the same second of every simulated
   minute; the replay puts it on the ``MAINTENANCE_AT``-th (it dates Alertmanager's maintenance before it starts,
   ``_Replay.probe``), so that no event (on the whole minute) and no flush (half a minute after, drifting later)
   races it.
2. One alert per fingerprint. Alertmanager merges an instance that starts while another of its fingerprint fires
   (the model sends both), and one that starts after the other resolved but before a flush replaces it: the
   receiver never sees that resolution.
3. Its dedup compares fingerprint sets with its notification log: nothing is sent for a group whose last
   notification had nothing firing when only resolutions are new.
4. Resends: Alertmanager resends once the last notification's log entry (written after the delivery) is older
   than repeat_interval at a flush, so at exactly repeat_interval it races the delivery; the replay gives it a
   quarter of a group_interval less, and both resend at the flush repeat_interval later.
5. Inhibition: Alertmanager decides it at every flush from the sources firing then; the course once per alert
   instance at its first flush. They disagree only on alerts whose inhibiting source started or resolved while
   they fired.
6. Spelling: Alertmanager drops a label whose value is empty (the fingerprint is of the labels left), and leaves
   a ``group_by`` label an alert lacks out of the group key (the model writes it as "").
"""
import json
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
import yaml

from oncall.paths import DATA_DIR
from oncall.scenario import load_scenario
from oncall.shift import run_shift
from oncall.support_desk import monitors
from oncall.support_desk.alerts import fingerprint as _fingerprint
from oncall.support_desk.dispatch import deliver

from .conftest import Server, free_port, need, skip_unless_selected

pytestmark = pytest.mark.prom

SCALE = 300                      # simulated seconds per real second
SCENARIOS = ("bad-deploy", "provider-outage")
MAINTENANCE_S = 30               # Alertmanager's dispatcher removes empty groups this often (real seconds)
# The simulated second of the minute the replay puts that maintenance on: the events are on the whole minute (posted
# up to a few simulated seconds late), the flushes half a minute after it (drifting later, see LATTICE). Between the
# two, neither races it: a group the model says is empty at a flush is empty at the maintenance after it, and an
# event the model puts before a maintenance reaches Alertmanager before it.
MAINTENANCE_AT = 18
SAFE = (6, 29)                   # where it may land (the test asserts it): after the posts, before the flushes


def fingerprint(labels: dict) -> str:
    """Alertmanager drops a label whose value is empty (the same as no label in Prometheus), so fingerprints are
    compared on the labels without empty values (a difference of spelling only)."""
    return _fingerprint({k: v for k, v in labels.items() if v != ""})


def _rfc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Server(ThreadingHTTPServer):
    request_queue_size = 512   # a whole storm's groups flush at once: socketserver's 5 would refuse them (AM retries)
    daemon_threads = True


class _Hook(BaseHTTPRequestHandler):
    captured: list = []          # (path, real time received, payload)

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.captured.append((self.path, time.time(), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _instances(record):
    """The storm's alert instances (fingerprint + startsAt), in order of first arrival, clipped to the shift."""
    sc = record.scenario
    start = pd.Timestamp(sc.shift.start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    end = start + pd.Timedelta(minutes=int(sc.shift.minutes))
    out, seen = [], {}
    for row in record.alerts.itertuples(index=False):
        key = (row.fingerprint, row.starts_at)
        if key not in seen:
            seen[key] = len(out)
            out.append({"labels": dict(row.labels), "annotations": dict(row.annotations),
                        "start": max(row.starts_at, start).floor("min"), "end": None, "key": key})
        if row.status == "resolved" and not pd.isna(row.ends_at):
            a = out[seen[key]]
            e = max(row.ends_at.floor("min"), a["start"] + pd.Timedelta(minutes=1))
            a["end"] = e if a["end"] is None else min(a["end"], e)
    return out, start, end


def _am_config(hook_port: str, name: str, full: bool) -> dict:
    config = yaml.safe_load((DATA_DIR / "alerting" / "alertmanager.yaml").read_text())
    route = config["route"]
    seconds = {key: pd.Timedelta(route[key]).total_seconds() for key in ("group_wait", "group_interval",
                                                                          "repeat_interval")}
    # Alertmanager resends once its last notification's log entry, written after the delivery, is older than
    # repeat_interval at a flush; at exactly repeat_interval that races the delivery time. A quarter of a
    # group_interval less settles the race the model's way (a resend at the flush repeat_interval later) as long
    # as its timers drift less than three quarters of an interval between two resends.
    seconds["repeat_interval"] -= seconds["group_interval"] / 4
    for key, value in seconds.items():
        route[key] = f"{int(round(value / SCALE * 1000))}ms"
    config["global"] = {"resolve_timeout": "1h"}
    config["receivers"][0]["webhook_configs"][0]["url"] = f"http://127.0.0.1:{hook_port}/{name}"
    if not full:
        config["inhibit_rules"] = []
    return config


def _post(url: str, path: str, doc) -> None:
    req = urllib.request.Request(url + path, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def _get(url: str, path: str):
    with urllib.request.urlopen(url + path, timeout=10) as resp:
        return json.loads(resp.read().decode())


class _Replay:
    """One scenario's storm posted on the compressed clock to its two Alertmanagers."""

    def __init__(self, name, tmp, hook_port):
        self.name = name
        self.record = run_shift(load_scenario(name), 1, "none")
        self.alerts, self.start, self.end = _instances(self.record)
        self.servers, self.urls = [], {}
        for kind in ("dispatch", "full"):
            d = tmp / f"{name}-{kind}"
            d.mkdir()
            (d / "am.yml").write_text(yaml.safe_dump(_am_config(hook_port, f"{name}/{kind}", kind == "full")))
            port = free_port()
            self.servers.append(Server([need("prometheus-alertmanager"), f"--config.file={d / 'am.yml'}",
                                        f"--storage.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                                        "--cluster.listen-address="], f"http://127.0.0.1:{port}/-/ready",
                                       d / "am.log"))
            self.urls[kind] = f"http://127.0.0.1:{port}"
        self.status = defaultdict(set)     # (fingerprint, real start ms) -> {"inhibited", "silenced"} seen

    def groups_now(self) -> float:
        """Alertmanager's count of aggregation groups (its ``/metrics``), on the ``dispatch`` server."""
        with urllib.request.urlopen(self.urls["dispatch"] + "/metrics", timeout=10) as resp:
            text = resp.read().decode()
        return next(float(line.split()[-1]) for line in text.splitlines()
                    if line.startswith("alertmanager_dispatcher_aggregation_groups"))

    def probe(self):
        """Date the dispatcher's maintenance before the replay (``phase``, real seconds): an alert posted already
        resolved makes a group that flushes at once, notifies nothing (nothing fires) and is left empty; the
        maintenance deletes it, and the group count, read every few milliseconds, drops."""
        now = datetime.now(timezone.utc)
        _post(self.urls["dispatch"], "/api/v2/alerts", [{"labels": {"alertname": "ReplayProbe"},
                                                         "startsAt": _rfc(now - timedelta(seconds=2)),
                                                         "endsAt": _rfc(now - timedelta(seconds=1))}])
        seen, last = False, time.time()
        deadline = last + 2 * MAINTENANCE_S
        while last < deadline:
            t = time.time()      # Alertmanager reads its count just after the request (not when the reply is read)
            n = self.groups_now()
            if n >= 1:
                seen = True
            elif seen:
                self.phase = (last + t) / 2
                return
            last = t
            time.sleep(0.002)
        raise RuntimeError(f"{self.name}: Alertmanager's group count never dropped within {2 * MAINTENANCE_S} s")

    def start_after(self, earliest: float) -> datetime:
        """The first replay start from ``earliest`` (real seconds) that puts the maintenance on the
        ``MAINTENANCE_AT``-th simulated second of the minute (a simulated minute is 60 / SCALE real seconds)."""
        minute = 60 / SCALE
        r0 = earliest + (self.phase - MAINTENANCE_AT / SCALE - earliest) % minute
        return datetime.fromtimestamp(r0, timezone.utc)

    def real(self, t: pd.Timestamp) -> datetime:
        return self.r0 + timedelta(seconds=(t - self.start).total_seconds() / SCALE)

    def sim(self, real_s: float) -> pd.Timestamp:
        return self.start + pd.Timedelta(seconds=(real_s - self.r0.timestamp()) * SCALE)

    def run(self, r0: datetime):
        self.r0 = r0
        far = self.real(self.end) + timedelta(hours=1)
        for s in self.record_silences():
            _post(self.urls["full"], "/api/v2/silences", s)
        batches = defaultdict(list)
        for a in self.alerts:
            rs = self.real(a["start"])
            a["real_start"] = rs
            batches[rs].append({"labels": a["labels"], "annotations": a["annotations"], "startsAt": _rfc(rs),
                                "endsAt": _rfc(far if a["end"] is None else self.real(a["end"]))})
        self.groups, self.lag, self.finished = [], {}, False
        helpers = [threading.Thread(target=self.watch_groups), threading.Thread(target=self.watch_status)]
        posters = [threading.Thread(target=self.post_all, args=(kind, batches)) for kind in self.urls]
        for t in helpers + posters:
            t.start()
        for t in posters:
            t.join()
        time.sleep(max(0.0, self.real(self.end).timestamp() - time.time()) + 2)
        self.finished = True
        for t in helpers:
            t.join()

    def post_all(self, kind, batches):
        """Each batch posted at its time; ``lag``: how late the last post of a batch completed (real seconds)."""
        lag = 0.0
        for rs in sorted(batches):
            delay = rs.timestamp() - time.time()
            if delay > 0:
                time.sleep(delay)
            _post(self.urls[kind], "/api/v2/alerts", batches[rs])
            lag = max(lag, time.time() - rs.timestamp())
        self.lag[kind] = lag

    def watch_status(self):
        while not self.finished:
            self.poll()
            time.sleep(0.25)

    def watch_groups(self):
        """Alertmanager's count of groups, every 50 ms: it drops only when the dispatcher's maintenance removes
        empty groups, which dates that maintenance (every 30 s from the dispatcher's start)."""
        while not self.finished:
            t = time.time()      # as in ``probe``: the time the count was asked for
            self.groups.append((t, self.groups_now()))
            time.sleep(0.05)

    def maintenance(self):
        """The dispatcher's maintenance times (real seconds) over the replay, from the drops of the group count."""
        drops = [(a[0], b[0]) for a, b in zip(self.groups, self.groups[1:]) if b[1] < a[1]]
        if not drops:
            return []
        lo, hi = drops[0]
        for a, b in drops[1:]:
            k = round((a - drops[0][0]) / MAINTENANCE_S)
            lo, hi = max(lo, a - k * MAINTENANCE_S), min(hi, b - k * MAINTENANCE_S)
        phase = (lo + hi) / 2
        first = phase - MAINTENANCE_S * ((phase - self.r0.timestamp()) // MAINTENANCE_S + 1)
        return [first + k * MAINTENANCE_S for k in range(int((self.groups[-1][0] - first) // MAINTENANCE_S) + 2)]

    def removed_at(self):
        """``dispatch.deliver``'s ``removed_at``: the first maintenance after a group emptied (simulated ns)."""
        times = [self.sim(m).value for m in self.maintenance()]

        def at(t: int) -> int:
            return next((m for m in times if m > t), 2**63 - 1)
        return at

    def poll(self):
        for alert in _get(self.urls["full"], "/api/v2/alerts?active=true&silenced=true&inhibited=true"):
            st = alert["status"]
            key = (fingerprint(alert["labels"]), alert["startsAt"][:23])
            if st["inhibitedBy"]:
                self.status[key].add("inhibited")
            if st["silencedBy"]:
                self.status[key].add("silenced")

    def record_silences(self):
        doc = yaml.safe_load((DATA_DIR / "alerting" / "silences.yaml").read_text())
        out = []
        for s in doc["silences"]:
            t0, t1 = pd.Timestamp(s["startsAt"]), pd.Timestamp(s["endsAt"])
            if t1 <= self.start or t0 >= self.end:
                continue
            matchers = []
            for m in s["matchers"]:
                k, v = m.split("=", 1)
                matchers.append({"name": k, "value": v.strip('"'), "isRegex": False, "isEqual": True})
            out.append({"matchers": matchers, "startsAt": _rfc(self.real(max(t0, self.start))),
                        "endsAt": _rfc(self.real(t1)), "createdBy": s["createdBy"], "comment": s["comment"]})
        return out

    def stop(self):
        for s in self.servers:
            s.stop()


@pytest.fixture(scope="module")
def replays(tmp_path_factory):
    skip_unless_selected()
    tmp = tmp_path_factory.mktemp("replay")
    _Hook.captured = []
    hook = _Server(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    out = {}
    try:
        for name in SCENARIOS:
            out[name] = _Replay(name, tmp, hook.server_port)
        probes = [threading.Thread(target=r.probe) for r in out.values()]
        for t in probes:
            t.start()
        for t in probes:
            t.join()
        if not all(hasattr(r, "phase") for r in out.values()):
            raise RuntimeError("the dispatcher's maintenance could not be dated (see the probe's error above)")
        earliest = time.time() + 2
        threads = [threading.Thread(target=r.run, args=(r.start_after(earliest),)) for r in out.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in out.values():
            r.captured = [(path.split("/")[-1], t, p) for path, t, p in _Hook.captured
                          if path.startswith(f"/{r.name}/")]
        yield out
    finally:
        for r in out.values():
            r.stop()
        hook.shutdown()
        hook.server_close()


def _key(labels) -> str:
    """Alertmanager's group key: a ``group_by`` label the alert lacks is left out (the model writes it as "";
    a difference of spelling only)."""
    by = monitors.load_storm().group_by
    return "{}:{" + ", ".join(f'{g}="{labels[g]}"' for g in by if labels.get(g, "") != "") + "}"


def _notes(alerts, rows):
    """deliver's rows -> per group key, [(time, {(fingerprint, status)}), ...] in time order."""
    notes = defaultdict(lambda: defaultdict(set))
    for tick, _, k, status in rows:
        notes[_key(alerts[k]["labels"])][tick].add((fingerprint(alerts[k]["labels"]), status))
    return {key: [(pd.Timestamp(t, tz="UTC"), frozenset(v)) for t, v in sorted(ticks.items())]
            for key, ticks in notes.items()}


def _models(r):
    """The course's model and the same model with Alertmanager 0.25's behaviours, over the replayed instances."""
    storm = monitors.load_storm()
    alerts = [{"labels": a["labels"], "start": a["start"], "end": a["end"]} for a in r.alerts]
    course = _notes(alerts, deliver(alerts, storm, r.start, r.end))
    as_am = _notes(alerts, deliver(alerts, storm, r.start, r.end, as_alertmanager=True,
                                   removed_at=r.removed_at()))
    return alerts, course, as_am


def _am_notes(r, kind):
    notes = defaultdict(list)
    for k, t, p in r.captured:
        if k == kind and r.sim(t) < r.end:     # the night's notifications (the replay runs a little longer)
            key = "{}:" + p["groupKey"].split("}:", 1)[-1]
            notes[key].append((r.sim(t), frozenset((fingerprint(a["labels"]), a["status"]) for a in p["alerts"])))
    return {key: sorted(v, key=lambda x: x[0]) for key, v in notes.items()}


# Every event is on a whole minute and every flush half a minute after one. Alertmanager's flushes drift later
# (each group timer is re-armed when it wakes; on a loaded machine the wake-ups add up): a flush up to a minute
# late is the model's flush; one more than half a minute late can see an event of the next minute, which the
# comparison of the alerts in it then reports.
LATTICE = pd.Timedelta(minutes=1)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_whole_storm_notified_count_for_count(replays, name):
    """Every notification Alertmanager sent, group by group, is the model's with Alertmanager's behaviours: the
    same alerts firing and resolved, at the same flush (within the half minute between a flush and any event)."""
    r = replays[name]
    _, _, model = _models(r)
    m = r.maintenance()
    second = (r.sim(m[0]) - r.start).total_seconds() % 60 if m else None
    am = _am_notes(r, "dispatch")
    late = [ta - tm for key in model if key in am and len(am[key]) == len(model[key])
            for (tm, _), (ta, _) in zip(model[key], am[key])]
    print(f"\n{name}: posts completed at most {max(r.lag.values()) * SCALE:.1f} s (simulated) after their time")
    print(f"{name}: {len(r.alerts)} alert instances, {len(model)} groups, notifications: Alertmanager "
          f"{sum(map(len, am.values()))}, the model {sum(map(len, model.values()))}; the dispatcher's "
          f"maintenance at {len(m)} times; latest notification "
          f"{max(late).total_seconds() if late else 0:.1f} s (simulated) after the model's flush; the maintenance at "
          f"{'?' if second is None else f'{second:.1f}'} s past the minute (simulated; put on the {MAINTENANCE_AT}th)")
    assert second is not None and SAFE[0] <= second < SAFE[1], "the maintenance is not where the replay put it"
    assert set(am) == set(model)
    for key in model:
        assert [v for _, v in am[key]] == [v for _, v in model[key]], key
        assert all(timedelta(0) <= ta - tm < LATTICE for (tm, _), (ta, _) in zip(model[key], am[key])), key


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_course_model_differs_only_as_stated(replays, name):
    """The course's model (no Alertmanager behaviours) against Alertmanager: the same groups, the same alerts
    notified firing and resolved in each, the same first notification; the counts differ by no more than the
    three stated causes allow: a group the model re-created, an alert re-firing under a fingerprint seen
    before (merged or replaced in Alertmanager's store), a resend (one tick later in Alertmanager)."""
    r = replays[name]
    alerts, course, _ = _models(r)
    am = _am_notes(r, "dispatch")
    seen, refires = set(), Counter()
    for a in sorted(alerts, key=lambda a: a["start"]):
        fp = fingerprint(a["labels"])
        refires[_key(a["labels"])] += fp in seen
        seen.add(fp)
    recreated = {key: sum(all(st == "resolved" for _, st in v) for _, v in notes[:-1]) for key, notes in course.items()}
    resends = {key: sum(1 for (_, v), (_, w) in zip(notes, notes[1:]) if v == w) for key, notes in am.items()}
    n_course, n_am = sum(map(len, course.values())), sum(map(len, am.values()))
    print(f"\n{name}: notifications: the course's model {n_course}, Alertmanager {n_am}; the model re-created "
          f"groups {sum(recreated.values())} times, {sum(refires.values())} alerts re-fired under a fingerprint seen "
          f"before, Alertmanager resent unchanged groups {sum(resends.values())} times")
    assert set(course) == set(am)
    for key in course:
        assert {x for _, v in course[key] for x in v} == {x for _, v in am[key] for x in v}, key
        (tc, first_c), (ta, first_a) = course[key][0], am[key][0]
        assert first_c == first_a and timedelta(0) <= ta - tc < LATTICE / 2, (key, tc, ta)
        bound = recreated[key] + refires[key] + resends[key]
        assert abs(len(course[key]) - len(am[key])) <= bound, (key, len(course[key]), len(am[key]), bound)
        if bound == 0:
            assert [v for _, v in course[key]] == [v for _, v in am[key]], key
    assert n_course != n_am   # the differences exist on this night; the bound above is what they are worth


def _matches(matchers, labels) -> bool:
    return all(m.test(labels.get(m.name, "")) for m in matchers)


@pytest.mark.parametrize("name", SCENARIOS)
def test_inhibited_and_silenced_alerts_against_the_course(replays, name, tmp_path, capsys):
    """Alertmanager with the course's whole config against the course's correlator on the shift's own rows.

    The same alerts silenced. Inhibition: Alertmanager decides it at every flush, from the sources firing then;
    the course once per alert instance, at its first flush in the shift's webhook rows (which arrive after
    the upstream dispatcher's group_wait). So they agree on every alert except ones whose inhibiting source
    started or resolved while they fired: the test bounds the disagreements to those."""
    from oncall.cli import main
    from oncall.support_desk.correlate import load_alerting_config

    r = replays[name]
    dropped = r.record.correlation.dropped.drop_duplicates("fingerprint")
    course = {reason: set(dropped.loc[dropped["reason"] == reason, "fingerprint"])
              for reason in ("inhibited", "silenced")}
    am = {reason: {k[0] for k, v in r.status.items() if reason in v} for reason in ("inhibited", "silenced")}
    notified = {fingerprint(a["labels"]) for k, _, p in r.captured if k == "full"
                for a in p["alerts"] if a["status"] == "firing"}
    # What the course inhibits and Alertmanager notified anyway at some flush; what Alertmanager inhibited at
    # some flush and the course did not.
    differ = (course["inhibited"] & notified) | (am["inhibited"] - course["inhibited"])
    rules = load_alerting_config().inhibit_rules
    by_fp = defaultdict(list)
    for a in r.alerts:
        by_fp[fingerprint(a["labels"])].append(a)

    def source_moved(fp) -> bool:
        for t in by_fp[fp]:
            t_end = t["end"] or r.end
            for rule in rules:
                if not _matches(rule.target, t["labels"]):
                    continue
                for s in r.alerts:
                    if s is t or not _matches(rule.source, s["labels"]) or any(
                            s["labels"].get(e, "") != t["labels"].get(e, "") for e in rule.equal):
                        continue
                    if t["start"] <= s["start"] <= t_end or (s["end"] and t["start"] <= s["end"] <= t_end):
                        return True
        return False

    print(f"\n{name}: inhibited: course {len(course['inhibited'])}, Alertmanager {len(am['inhibited'])}; "
          f"silenced: course {len(course['silenced'])}, Alertmanager {len(am['silenced'])}; decided differently "
          f"(a source started or resolved while they fired): {len(differ)}")
    assert am["silenced"] == course["silenced"] and len(course["silenced"]) >= 1
    assert course["inhibited"] <= am["inhibited"]
    assert all(source_moved(fp) for fp in differ), [fp for fp in differ if not source_moved(fp)]
    # `oncall correlate` reads the receiver's capture as it came.
    capture = tmp_path / "capture.jsonl"
    capture.write_text("".join(json.dumps(p) + "\n" for k, _, p in r.captured if k == "full"))
    capsys.readouterr()
    assert main(["correlate", str(capture), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["incidents"] and {d["reason"] for d in doc["dropped"]} >= {"duplicate"}
