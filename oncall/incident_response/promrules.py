"""Prometheus rules for the course's SLOs, the shift's counters as OpenMetrics, and a promtool test (M31).

``oncall slo rules`` writes, for each OpenSLO file, the rules Sloth generates from an SLO spec: one recording
rule of the error ratio per window the burn-rate tiers use, the SLO's objective as a constant, and one alerting
rule per severity whose expression ORs that severity's long/short window pairs (labels ``severity``, ``slo``,
``tier``). The same rules run in a real Prometheus and in ``promtool test rules``.

The exporter metrics (what the OpenSLO ``ratioMetric`` columns mean in PromQL). The simulator counts events per
minute under the column names the OpenSLO files use; a real exporter of the assistant would expose them as
Prometheus counters:

=============  ======================================================  =================================
column         PromQL counter                                          what it counts
=============  ======================================================  =================================
requests       ``assistant_requests_total``                            every request answered
errors         ``assistant_request_errors_total``                      requests answered with an error
slow           ``assistant_request_duration_seconds_count``            (requests slower than 4 s:
               minus ``..._bucket{le="4"}``                             the histogram's count minus the
                                                                        bucket at the SLO's threshold)
graded         ``assistant_answers_graded_total``                      answers an online grader scored
correct        ``assistant_answers_correct_total``                     ... and found correct
stale_index    ``assistant_stale_index_requests_total``                requests answered from an index
                                                                        older than the SLO's max age
=============  ======================================================  =================================

A ratioMetric maps to the error ratio over a window W as ``sum(rate(BAD[W])) / sum(rate(TOTAL[W]))`` when it
names ``bad``, and ``(sum(rate(TOTAL[W])) - sum(rate(GOOD[W]))) / sum(rate(TOTAL[W]))`` when it names
``good`` (Sloth's ``errorQuery / totalQuery``). Burn rate = error ratio / (1 - objective), so the alert
compares the ratio with ``threshold x (1 - objective)``, as Sloth writes it.

Three departures from Sloth's shape, so that the rules mean exactly what the course's engine (``burn.py``)
means: a tier fires at or above its threshold (``>=``, Sloth writes ``>``); only while its short window holds at
least ``min_requests`` events (the low-traffic guard of ``burn_rate_tiers.yaml``; Sloth has none); and each SLO's
rules are one group, not Sloth's three, because Prometheus runs groups concurrently and an alert in another
group than its recording rules reads the ratios of the previous evaluation (one interval late).

Exactness. Counters scraped once a minute on the minute and rules evaluated on the minute give ``rate()`` the
samples at both ends of each window, so it extrapolates nothing and every window's ratio is the exact ratio of
the window's sums, the engine's. With scrapes offset from the evaluation (every real Prometheus), ``rate()``
extrapolates the samples inside the window to its edges (``prom_increase`` does what Prometheus does):
a window then reads partly the minute before it or misses part of its last minute, and an edge can move by up
to one evaluation interval; the tests measure that bound on every scenario.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import yaml

from . import burn
from ..errors import BadInput
from ..paths import DATA_DIR
from .slo import SLO, load_slo

SERVICE = "support-assistant"
JOB = "support-assistant"
# column -> (counter family, its type, the sample's name suffix and labels) as an exporter would expose it
COLUMN_METRICS = {
    "requests": "assistant_requests_total",
    "errors": "assistant_request_errors_total",
    "graded": "assistant_answers_graded_total",
    "correct": "assistant_answers_correct_total",
    "stale_index": "assistant_stale_index_requests_total",
}
LATENCY_FAMILY = "assistant_request_duration_seconds"
ALERT = "ErrorBudgetBurn"
SUMMARY = "{{ $labels.slo }} is burning its error budget: tier {{ $labels.tier }}"


def _counter(column: str) -> str:
    return COLUMN_METRICS[column]


def _le(slo: SLO) -> str:
    return f"{(slo.threshold_ms or 4000) / 1000:g}"


def counter_query(slo: SLO, column: str, window: str) -> str:
    """``sum(rate(COUNTER[window]))`` for one ratioMetric column (see the module's table)."""
    sel = f'{{job="{JOB}"}}'
    if column == "slow":
        le = f'{{job="{JOB}",le="{_le(slo)}"}}'
        return (f"(sum(rate({LATENCY_FAMILY}_count{sel}[{window}])) - "
                f"sum(rate({LATENCY_FAMILY}_bucket{le}[{window}])))")
    if column not in COLUMN_METRICS:
        raise ValueError(f"{slo.source}: no exporter metric for the column {column!r}")
    return f"sum(rate({_counter(column)}{sel}[{window}]))"


def error_ratio_query(slo: SLO, window: str) -> str:
    """The OpenSLO ratioMetric as PromQL: the share of bad events over ``window``."""
    total = counter_query(slo, slo.total, window)
    if slo.bad is not None:
        return f"{counter_query(slo, slo.bad, window)} / {total}"
    return f"({total} - {counter_query(slo, slo.good, window)}) / {total}"


def _window(minutes: int) -> str:
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def _labels(slo: SLO) -> dict:
    return {"service": SERVICE, "slo": slo.name}


def rule_groups(slo: SLO, tiers: list[burn.Tier], min_requests: int | None = None) -> list[dict]:
    """Sloth's rules for one SLO: SLI recordings per window, meta recordings, one alert per severity."""
    windows = sorted({t.long_window_min for t in tiers} | {t.short_window_min for t in tiers})
    labels = _labels(slo)
    sli = [{"record": f"slo:sli_error:ratio_rate{_window(w)}", "expr": error_ratio_query(slo, _window(w)),
            "labels": dict(labels)} for w in windows]
    shorts = sorted({t.short_window_min for t in tiers if t.min_requests})
    sli += [{"record": f"slo:sli_events:increase{_window(w)}",
             "expr": f"sum(increase({_total_metric(slo)}{{job=\"{JOB}\"}}[{_window(w)}]))",
             "labels": dict(labels)} for w in shorts]
    meta = [{"record": "slo:objective:ratio", "expr": f"vector({slo.objective!r})", "labels": dict(labels)},
            {"record": "slo:error_budget:ratio", "expr": f"vector(1 - {slo.objective!r})", "labels": dict(labels)},
            {"record": "slo:time_period:days", "expr": f"vector({slo.period_min / 1440:g})", "labels": dict(labels)}]
    alerts = []
    for severity in ("page", "ticket"):
        branches = [_branch(slo, t) for t in tiers if t.severity == severity]
        if not branches:
            continue
        alerts.append({"alert": ALERT, "expr": "\n or ".join(branches) + "\n",
                       "labels": {"severity": severity, "slo": slo.name},
                       "annotations": {"summary": SUMMARY, "runbook_url": "runbooks/" + slo.name}})
    # One group, not Sloth's three: rules of a group run in order at the same instant, so each alert reads the
    # ratios recorded at that instant; across groups (run concurrently) it may read the previous evaluation's.
    return [{"name": f"slo-{slo.name}", "interval": "1m", "rules": sli + meta + alerts}]


def _total_metric(slo: SLO) -> str:
    return f"{LATENCY_FAMILY}_count" if "slow" in (slo.bad, slo.good) else _counter(slo.total)


def _branch(slo: SLO, tier: burn.Tier) -> str:
    sel = f'{{slo="{slo.name}"}}'
    bound = f"({tier.threshold(slo.period_min):g} * (1 - {slo.objective!r}))"
    cond = (f"slo:sli_error:ratio_rate{_window(tier.long_window_min)}{sel} >= {bound}\n"
            f"   and slo:sli_error:ratio_rate{_window(tier.short_window_min)}{sel} >= {bound}")
    if tier.min_requests:
        cond += f"\n   and slo:sli_events:increase{_window(tier.short_window_min)}{sel} >= {tier.min_requests}"
    return f'label_replace(\n   {cond},\n   "tier", "{tier.name}", "", "")'


def alert_yaml(slo: SLO, severity: str = "page", tiers: list[burn.Tier] | None = None) -> str:
    """One SLO's alerting rule of one severity, as it stands in the file ``oncall slo rules`` writes."""
    rules = rule_groups(slo, tiers or burn.load_tiers())[0]["rules"]
    alert = next(r for r in rules if "alert" in r and r["labels"]["severity"] == severity)
    return yaml.dump([alert], Dumper=_BlockDumper, sort_keys=False, width=120)


def rules_document(slos: list[SLO], tiers: list[burn.Tier]) -> dict:
    return {"groups": [g for slo in slos for g in rule_groups(slo, tiers)]}


def rules_yaml(slos: list[SLO], tiers: list[burn.Tier]) -> str:
    head = ("# Generated by `oncall slo rules` from the OpenSLO files and data/alerting/burn_rate_tiers.yaml, in the\n"
            "# shape Sloth generates. Check with `promtool check rules`; the exporter metric names are documented in\n"
            "# oncall/incident_response/promrules.py.\n")
    return head + yaml.dump(rules_document(slos, tiers), Dumper=_BlockDumper, sort_keys=False, width=120)


class _BlockDumper(yaml.SafeDumper):
    """A safe dumper that writes a multi-line PromQL expression as a block (``expr: |``), as people write rules."""


_BlockDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


# ------------------------------------------------------------------------------------ the shift as metrics

def _series(slos, frame) -> dict[str, tuple[str, np.ndarray]]:
    """Sample name with labels -> cumulative counter values (one per minute boundary, starting at 0)."""
    columns = sorted({c for s in slos.values() for c in (s.total, s.bad, s.good) if c})
    out = {}
    for column in columns:
        counts = frame[column].to_numpy(dtype=np.int64)
        if column == "slow":
            req = frame["requests"].to_numpy(dtype=np.int64)
            le = _le(next(s for s in slos.values() if "slow" in (s.bad, s.good)))
            out[f'{LATENCY_FAMILY}_bucket{{job="{JOB}",le="{le}"}}'] = _cum(req - counts)
            out[f'{LATENCY_FAMILY}_bucket{{job="{JOB}",le="+Inf"}}'] = _cum(req)
            out[f'{LATENCY_FAMILY}_count{{job="{JOB}"}}'] = _cum(req)
        else:
            out[f'{_counter(column)}{{job="{JOB}"}}'] = _cum(counts)
    return out


def _cum(values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(values)])


def openmetrics(record, tiers: list[burn.Tier] | None = None) -> str:
    """The shift's counters as OpenMetrics text, one sample per minute boundary, from as much history before the
    shift as the longest window of ``tiers`` needs (every tier by default: three days)."""
    frame, _skip = _frame(record, burn.load_tiers() if tiers is None else tiers)
    start = int(frame.index[0].timestamp())
    series = _series(record.slos, frame)
    families: dict[str, list[str]] = {}
    for name, values in series.items():
        metric = name.split("{")[0]
        family = LATENCY_FAMILY if metric.startswith(LATENCY_FAMILY) else metric.removesuffix("_total")
        families.setdefault(family, []).extend(
            f"{name} {int(v)} {start + 60 * i}" for i, v in enumerate(values))
    lines = []
    for family, samples in families.items():
        kind = "histogram" if family == LATENCY_FAMILY else "counter"
        lines += [f"# TYPE {family} {kind}", *samples]
    return "\n".join(lines + ["# EOF"]) + "\n"


def _frame(record, tiers: list[burn.Tier]):
    """The history the tiers' longest window needs, then the shift; and how many history minutes it holds."""
    import pandas as pd

    if record.history is None:
        return record.service, 0
    keep = min(len(record.history), max(t.long_window_min for t in tiers))
    return pd.concat([record.history.iloc[len(record.history) - keep:], record.service]), keep


def engine_fires(record, tiers: list[burn.Tier] | None = None):
    """The course engine over the history and the shift: (frame, history minutes, slo -> tier -> fires)."""
    tiers = burn.load_tiers() if tiers is None else tiers
    frame, skip = _frame(record, tiers)
    out = {}
    for name, slo in record.slos.items():
        bad, total = slo.bad_and_total(frame)
        ev = burn.evaluate(bad, total, slo, tiers, step_min=1.0)
        out[name] = {t.name: ev.frame[f"{t.name}.fires"].to_numpy() for t in tiers}
    return frame, skip, out


def firing_edges(fires: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) sample of each firing run: fires[first:stop] all True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], fires.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def promtool_test(record, rules_file: str = "slo_rules.yaml", tiers: list[burn.Tier] | None = None,
                  offset_s: int = 0) -> str:
    """A ``promtool test rules`` file: the shift's counters as input series and, at every minute where the
    engine says a tier starts or stops firing (and the minute before), the alerts the engine has firing.

    The series start as much history before the shift as the longest window needs; the shift's first minute
    ends at ``eval_time`` = history minutes + 1. With ``offset_s`` (a divisor of 60) the samples are scraped
    that many seconds after each minute, and the expected alerts are ``prom_fires``'s, not the engine's."""
    tiers = burn.load_tiers() if tiers is None else tiers
    severity = {t.name: t.severity for t in tiers}
    if offset_s:
        frame, skip, fires = prom_fires(record, tiers, offset_s)
        _f, _s, _times, scraped_series = scraped(record, tiers, offset_s)
        slots = 60 // offset_s
        series = {k: " ".join(repr(float(x)) if i % slots == 1 else "_" for i, x in
                              enumerate(np.repeat(v, slots))) for k, v in scraped_series.items()}
    else:
        frame, skip, fires = engine_fires(record, tiers)
        series = {k: " ".join(str(int(x)) for x in v) for k, v in _series(record.slos, frame).items()}
    n = len(frame)
    samples = {skip, n - 1}
    for by_tier in fires.values():
        for f in by_tier.values():
            for a, b in firing_edges(f[skip:]):
                samples.update(s for s in (skip + a - 1, skip + a, skip + b - 1, skip + b) if skip - 1 <= s < n)
    tests = []
    for s in sorted(samples):
        exp = []
        for slo, by_tier in fires.items():
            for tier, f in by_tier.items():
                if s >= 0 and f[s]:
                    labels = {"service": SERVICE, "severity": severity[tier], "slo": slo, "tier": tier}
                    summary = SUMMARY.replace("{{ $labels.slo }}", slo).replace("{{ $labels.tier }}", tier)
                    exp.append({"exp_labels": labels,
                                "exp_annotations": {"runbook_url": "runbooks/" + slo, "summary": summary}})
        tests.append({"eval_time": f"{s + 1}m", "alertname": ALERT, "exp_alerts": exp})
    doc = {"rule_files": [rules_file], "evaluation_interval": "1m",
           "tests": [{"interval": f"{offset_s}s" if offset_s else "1m",
                      "input_series": [{"series": name, "values": values} for name, values in series.items()],
                      "alert_rule_test": tests}]}
    head = (f"# promtool test rules {Path(rules_file).name}: the shift's counters (minute 0 = "
            f"{frame.index[0].isoformat()}; the shift starts at minute {skip}) and, from the course's engine,\n"
            "# the alerts firing at each minute where a burn tier starts or stops firing (and the minute before).\n")
    return head + yaml.safe_dump(doc, sort_keys=False, width=100000)


def artifacts(record, tiers: list[burn.Tier] | None = None) -> dict[str, str]:
    """The files ``oncall drill --out`` adds: metrics.om, slo_rules.yaml and promtool_test.yaml, for every burn tier
    (the drill's files), or for ``tiers`` only: their rules, and the history their longest window needs."""
    tiers = burn.load_tiers() if tiers is None else tiers
    return {"metrics.om": openmetrics(record, tiers), "slo_rules.yaml": rules_yaml(list(record.slos.values()), tiers),
            "promtool_test.yaml": promtool_test(record, "slo_rules.yaml", tiers)}


def prom_increase(times_s: np.ndarray, values: np.ndarray, at_s: float, window_s: float) -> float:
    """``increase(x[window])`` at ``at_s`` as Prometheus 2.x computes it (``extrapolatedRate``): the samples in
    [at - window, at], their difference (no counter resets here), extrapolated towards the window's edges: to an
    edge when the gap to it is under 1.1 average sample intervals, else half an interval; never below zero."""
    lo = at_s - window_s
    i, j = np.searchsorted(times_s, [lo, at_s], side="left")[0], np.searchsorted(times_s, at_s, side="right")
    t, v = times_s[i:j], values[i:j]
    if t.size < 2:
        return float("nan")
    result = float(v[-1] - v[0])
    sampled = float(t[-1] - t[0])
    average = sampled / (t.size - 1)
    to_start, to_end = float(t[0] - lo), float(at_s - t[-1])
    if result > 0 and v[0] >= 0:
        to_start = min(to_start, sampled * float(v[0]) / result)
    to_start = to_start if to_start < average * 1.1 else average / 2
    to_end = to_end if to_end < average * 1.1 else average / 2
    return result * (sampled + to_start + to_end) / sampled


def scraped(record, tiers: list[burn.Tier], offset_s: int):
    """The counters as a Prometheus scraping every minute ``offset_s`` seconds after the minute would store them
    (events spread evenly over each minute): (frame, history minutes, sample times in s, series -> values)."""
    frame, skip = _frame(record, tiers)
    minutes = np.arange(len(frame) + 1) * 60
    times = minutes[:-1] + offset_s
    out = {}
    for name, cum in _series(record.slos, frame).items():
        out[name] = np.interp(times, minutes, cum.astype(float))
    return frame, skip, times.astype(float), out


def prom_fires(record, tiers: list[burn.Tier], offset_s: int = 30):
    """Per SLO and tier, per minute of the frame: does the generated rule fire in a Prometheus that scrapes
    ``offset_s`` after the minute and evaluates on the minute? (``prom_increase`` over the scraped samples.)"""
    frame, skip, times, series = scraped(record, tiers, offset_s)
    n = len(frame)
    out = {}
    for name, slo in record.slos.items():
        queries = {}
        for w in sorted({t.long_window_min for t in tiers} | {t.short_window_min for t in tiers}):
            inc = {key: np.array([prom_increase(times, vals, 60.0 * (m + 1), 60.0 * w) for m in range(n)])
                   for key, vals in series.items()}
            total, bad = _query_parts(slo, inc)
            with np.errstate(divide="ignore", invalid="ignore"):
                queries[w] = (bad / total, total)
        out[name] = {}
        for t in tiers:
            bound = t.threshold(slo.period_min) * (1 - slo.objective)
            ok = (queries[t.long_window_min][0] >= bound) & (queries[t.short_window_min][0] >= bound)
            if t.min_requests:
                ok &= queries[t.short_window_min][1] >= t.min_requests
            out[name][t.name] = ok
    return frame, skip, out


def _query_parts(slo: SLO, inc: dict) -> tuple[np.ndarray, np.ndarray]:
    def col(column):
        if column == "slow":
            count = next(v for k, v in inc.items() if k.startswith(f"{LATENCY_FAMILY}_count"))
            ok = next(v for k, v in inc.items() if k.startswith(f"{LATENCY_FAMILY}_bucket") and "+Inf" not in k)
            return count - ok
        return next(v for k, v in inc.items() if k.startswith(_counter(column) + "{"))
    total = col(slo.total)
    bad = col(slo.bad) if slo.bad is not None else total - col(slo.good)
    return total, bad


def parse_time(text: str, option: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(option, None, f"expected an ISO 8601 time like 2026-11-26T22:00:00Z, got {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


__all__ = ["COLUMN_METRICS", "artifacts", "counter_query", "error_ratio_query", "openmetrics", "promtool_test",
           "rule_groups", "rules_yaml"]


def rules_command(names: list[str] | None, out: str | None) -> str:
    """``oncall slo rules``: the rules for the named SLOs (all of data/slos/ by default), printed or written to
    ``OUT/slo_rules.yaml`` beside ``OUT/alertmanager.yaml`` (the course's Alertmanager config)."""
    names = names or sorted(p.stem for p in (DATA_DIR / "slos").glob("*.yaml"))
    text = rules_yaml([load_slo(n) for n in names], burn.load_tiers())
    if out is None:
        return text.rstrip("\n")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise BadInput("--out", None, f"{folder} is a file; expected a folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slo_rules.yaml").write_text(text, encoding="utf-8")
    am = (DATA_DIR / "alerting" / "alertmanager.yaml").read_text(encoding="utf-8")
    (folder / "alertmanager.yaml").write_text(am, encoding="utf-8")
    return (f"wrote {folder / 'slo_rules.yaml'} ({len(names)} SLOs) and {folder / 'alertmanager.yaml'}; check them "
            f"with: promtool check rules {folder / 'slo_rules.yaml'}; amtool check-config {folder / 'alertmanager.yaml'}")


INSTALL_HINT = ("promtool is not installed: apt-get install prometheus (Debian/Ubuntu), or take promtool from "
                "the release archive on prometheus.io")


def promtool_check(record, promtool: str | None = None, severity: str | None = None) -> str:
    """Write the shift's generated files (``artifacts``) into a temporary folder and run ``promtool check rules``
    and ``promtool test rules`` on them: promtool's own words, one block per command with its exit status. Without
    promtool, the one line ``INSTALL_HINT``.

    By default the files are the drill's, every tier: the ticket tiers' 3-day window puts three days of history
    before the night, and promtool evaluates every rule each minute of them (most of a minute). ``severity``
    ("page" or "ticket") writes and checks the rules and alerts of that severity's tiers only, over the history
    their longest window needs (6 h for the page tiers: a few seconds)."""
    import shutil
    import subprocess
    import tempfile

    tiers = burn.load_tiers()
    if severity is not None:
        tiers = [t for t in tiers if t.severity == severity]
        if not tiers:
            raise ValueError(f"severity: expected one of {', '.join(sorted({t.severity for t in burn.load_tiers()}))}, "
                             f"got {severity!r}")
    promtool = promtool or shutil.which("promtool")
    if promtool is None:
        return INSTALL_HINT
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in artifacts(record, tiers).items():
            Path(tmp, name).write_text(text)
        for args in (["check", "rules", "slo_rules.yaml"], ["test", "rules", "promtool_test.yaml"]):
            done = subprocess.run([promtool, *args], cwd=tmp, capture_output=True, text=True, timeout=600)
            said = (done.stdout + done.stderr).strip()
            out.append(f"$ promtool {' '.join(args)}   (exit {done.returncode})\n{said}")
    return "\n\n".join(out)
