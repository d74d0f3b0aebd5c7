"""The detect phase: the alert storm collapses into incidents (M32) and the burning budget pages (M31).

    1. every SLO's burn-rate tiers run over the service's per-minute counts        (M31, burn.py)
    2. monitors over the components fire the storm; burn tiers fire ErrorBudgetBurn (M32, monitors.py)
    3. Alertmanager's pipeline and the topology correlate it into incidents        (M32, correlate.py)
    4. the first page-tier burn alert pages; its incident gets a severity from impact (M31, paging.py)

The storm and the correlation are recomputed by ``correlate_shift`` whenever the serving plan changes (a
rollback makes alerts resolve); everything before the change stays as it was, so the page never moves.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import CheckResult, register
from .incident_response import alerting, paging
from .record import Incident, ShiftRecord
from .service import simulate as sim
from .support_desk import correlate as corr
from .support_desk import monitors
from .support_desk.burn_alerts import burn_alerts, page_fingerprint

SERVICE = "support-assistant"
PAGE_TOLERANCE_MIN = 2.0  # one evaluation step, plus one for traffic drifting inside the 1 h window


def page_tolerance_min(expected: float, ratio: float, events: int) -> float:
    """How far the page may land from the formula's minute: at least PAGE_TOLERANCE_MIN, and two standard errors
    of the realized ratio carried into the crossing time (the formula uses the mean ratio; the window sees a
    binomial sample of it: the quality SLI grades 8 % of answers, so its 6 h tier's crossing wanders by minutes)."""
    if events <= 0 or not 0 < ratio < 1:
        return PAGE_TOLERANCE_MIN
    relative_se = (ratio * (1 - ratio) / events) ** 0.5 / ratio
    return max(PAGE_TOLERANCE_MIN, 2 * expected * relative_se)


def runbook_url(record: ShiftRecord) -> str:
    return f"data/runbooks/{record.scenario.runbook}.md"


def true_cause_at(record: ShiftRecord):
    """Ground truth for a burn alert starting at a shift minute: the scenario's cause if it was at work then
    (its kind says when: the bad release serving; the index not rebuilt since the failed build; the provider
    failing and traffic not failed over), else background."""
    return record.cause.truth_at(record.plan, len(record.service))


def impact_start_minute(record: ShiftRecord, slo_name: str) -> int:
    """The first minute at or after the cause's onset in which the SLO saw a bad event: where the burn that
    pages starts (the deploy minute for a bad deploy; for a stale index, the hour the age crossed the limit)."""
    onset = max(sim.minute_of(record.scenario, record.cause.onset_at), 0)
    bad, _total = record.slos[slo_name].bad_and_total(record.service)
    hits = np.flatnonzero(np.asarray(bad)[onset:] > 0)
    return onset + int(hits[0]) if hits.size else onset


def correlate_shift(record: ShiftRecord) -> None:
    """Storm + burn alerts -> Alertmanager's pipeline -> incidents, over the record's current counts."""
    record.evaluations = alerting.evaluate_slos(record.service, record.slos, history=record.history)
    storm = monitors.generate_alerts(record.service, record.scenario, record.seed, plan=record.plan,
                                     truth=record.cause.storm_truth(record.plan))
    burn_rows = burn_alerts(record.service, record.evaluations, SERVICE, runbook_url(record),
                           true_cause_at(record))
    alerts = pd.concat([storm, burn_rows], ignore_index=True)
    alerts = alerts.sort_values("received_at", kind="stable").reset_index(drop=True)
    record.alerts = alerts
    record.correlation = corr.correlate(alerts.drop(columns=["true_cause"]), corr.load_alerting_config(),
                                        corr.load_topology())
    incidents = {}
    for row in record.correlation.incidents.itertuples(index=False):
        old = record.incidents.get(row.id)
        inc = old or Incident(id=row.id, title=_title(row), opened_at=row.first_at.to_pydatetime(),
                              service=", ".join(row.services))
        inc.alerts = list(row.fingerprints)
        incidents[row.id] = inc
    record.incidents = incidents
    _measure(record)


def _title(row) -> str:
    components = ", ".join(c for c in row.components if c) or "service level"
    return f"{', '.join(row.services)}: alerts on {components}"


def _measure(record: ShiftRecord) -> None:
    """Noise reduction, grouping quality against the ground truth, and the naive baseline, into the metrics."""
    c, alerts = record.correlation, record.alerts
    sent = c.oncall_notifications
    precision, recall = corr.pairwise_precision_recall(c.assignment, alerts["true_cause"])
    naive = corr.naive_one_incident_per_alertname(alerts)
    naive_incidents = int(pd.Series(naive).dropna().nunique())
    naive_precision, naive_recall = corr.pairwise_precision_recall(naive, alerts["true_cause"])
    distinct = int(alerts["fingerprint"].nunique()) if len(alerts) else 0
    record.metrics.update({
        "alerts_total": int(c.alerts_in),
        "distinct_alerts": distinct,
        "notifications_sent": sent,
        "group_notifications": len(c.notifications),
        "incidents_opened": len(c.incidents),
        "noise_reduction_pct": round(corr.noise_reduction_pct(c.alerts_in, sent), 2),
        "noise_reduction_distinct_pct": round(corr.noise_reduction_pct(distinct, sent), 2),
        "grouping_precision": round(precision, 4),
        "grouping_recall": round(recall, 4),
        "baseline_incidents_opened": naive_incidents,
        "baseline_grouping_precision": round(naive_precision, 4),
        "baseline_grouping_recall": round(naive_recall, 4),
    })


def detect(record: ShiftRecord) -> None:
    sc = record.scenario
    record.phases_run.append("detect")
    correlate_shift(record)
    onset_min = sim.minute_of(sc, record.cause.onset_at)
    record.page = page = alerting.first_page(record.service, record.evaluations, SERVICE, after_minute=onset_min)
    if page is None:
        return
    paged = page_fingerprint(SERVICE, page, record.evaluations)
    incident = next((record.incidents[i] for i, fps in _incident_fingerprints(record) if paged in fps), None)
    if incident is None:
        return
    record.paged_incident = incident.id
    policy = paging.load_policy()
    severity, reason = policy.severity_for("page", page.impact_pct, slo=page.slo)
    incident.severity = severity
    outcome = paging.respond(policy, severity, page.at, primary_answers=not sc.faults.pager_unacknowledged)
    incident.commander = outcome.commander
    tier = next(t for t in record.evaluations[page.slo].tiers if t.name == page.tier)
    record.trace.emit(page.at, "M31", "detect", "page.sent",
                      f"Paged {outcome.paged} at {severity} for {incident.id}: {page.slo} burning at "
                      f"{page.long_burn:.1f}x over {tier.long_window_min} min and {page.short_burn:.1f}x over "
                      f"{tier.short_window_min} min (threshold {record.evaluations[page.slo].thresholds[tier.name]:g}x); "
                      f"{reason}." + (f" Incident commander: {outcome.commander}." if outcome.commander else ""),
                      incident=incident.id, severity=severity, tier=page.tier, slo=page.slo)
    if outcome.escalated_at is not None:
        record.trace.emit(outcome.escalated_at, "M31", "detect", "page.escalated",
                          f"No acknowledgement from {outcome.paged}: the page escalates to {outcome.acknowledged_by}.",
                          incident=incident.id)
    incident.transition(outcome.acknowledged_at, "acknowledged")
    record.trace.emit(outcome.acknowledged_at, "M31", "detect", "incident.acknowledged",
                      f"{outcome.acknowledged_by} acknowledged {incident.id} ({severity}).", incident=incident.id)
    record.metrics["time_to_detect_min"] = round((page.at - record.cause.onset_at).total_seconds() / 60, 2)
    record.metrics["page_severity"] = severity
    _earlier_pages(record, incident, page)


def _earlier_pages(record: ShiftRecord, incident: Incident, page) -> None:
    """The storm's own ``severity: page`` alerts (symptoms such as GatewayHigh5xx, the cause ToolAPIErrors) can
    reach the receiver before the burn-rate page: they are counted as the outage's first page (``page.received``,
    ``time_to_first_page_min``), while the burn-rate page sets the severity and starts the response. The course
    keeps them paging (01_detect argues for paging on symptoms users feel); the story and the data say which
    page came first."""
    alerts, assignment = record.alerts, record.correlation.assignment
    onset = record.cause.onset_at
    received = alerts["received_at"].to_numpy(dtype="datetime64[ns]")   # UTC
    column = {c: alerts[c].to_numpy(dtype=object) for c in ("severity", "status", "alertname")}
    early = alerts[(column["severity"] == "page") & (column["status"] == "firing")
                   & (np.asarray(assignment) == incident.id) & (column["alertname"] != "ErrorBudgetBurn")
                   & (received >= _utc_ns(onset)) & (received < _utc_ns(page.at))]
    early = early.drop_duplicates("alertname")
    for row in early.itertuples():
        record.trace.emit(row.received_at.to_pydatetime(), "M32", "detect", "page.received",
                          f"{row.alertname} (severity page) reached the receiver on {row.service}/{row.component}, "
                          f"in {incident.id}: a page {(page.at - row.received_at.to_pydatetime()).total_seconds() / 60:.0f} "
                          f"min before the burn-rate page, which sets the severity.",
                          incident=incident.id, fingerprint=row.fingerprint, alertname=row.alertname)
    if len(early):
        first = early["received_at"].min().to_pydatetime()
        record.metrics["time_to_first_page_min"] = round((first - onset).total_seconds() / 60, 2)


def _utc_ns(when) -> np.datetime64:
    """An aware time as a naive UTC datetime64[ns], to compare with a UTC column's numpy values."""
    return np.datetime64(pd.Timestamp(when).tz_convert("UTC").tz_localize(None).as_unit("ns"))


def _incident_fingerprints(record: ShiftRecord):
    return ((row.id, set(row.fingerprints)) for row in record.correlation.incidents.itertuples(index=False))


def emit_alert_events(record: ShiftRecord) -> None:
    """alert.fired / alert.resolved (one per alert) and incident.opened, from the final correlation (M32).

    Each alert row carries the correlator's own verdict for that row (its incident, or why it was dropped), so
    an alert that fires again hours later is traced into the incident it really joined."""
    alerts, assignment = record.alerts, record.correlation.assignment
    verdicts = assignment.to_numpy()

    def verdict(index: int) -> tuple[str | None, str]:
        a = str(verdicts[index])
        return (a, "") if a.startswith("INC-") else (None, f" (dropped: {a})")

    def rows(status: str):
        """The first row of each alert instance in ``status``: its position and the columns a message reads
        (as lists: a few hundred rows, each read once)."""
        got = alerts[alerts.status == status].drop_duplicates(["fingerprint", "starts_at"])
        times = pd.DatetimeIndex(got["received_at"]).to_pydatetime()
        return zip(got.index.tolist(), times, *(got[c].tolist() for c in (
            "alertname", "service", "component", "severity", "fingerprint")))

    for index, at, alertname, service, component, severity, fp in rows("firing"):
        inc, state = verdict(index)
        record.trace.emit(at, "M32", "detect", "alert.fired",
                          f"{alertname} fired on {service}/{component or 'service'} "
                          f"({severity}){state}.", fingerprint=fp, incident=inc)
    for index, at, alertname, service, component, _severity, fp in rows("resolved"):
        inc, _ = verdict(index)
        record.trace.emit(at, "M32", "detect", "alert.resolved",
                          f"{alertname} resolved on {service}/{component or 'service'}.",
                          fingerprint=fp, incident=inc)
    for row in record.correlation.incidents.itertuples(index=False):
        record.trace.emit(row.first_at.to_pydatetime(), "M32", "detect", "incident.opened",
                          f"Correlator opened {row.id}: {row.alerts} alerts on "
                          f"{', '.join(c for c in row.components if c) or 'the service'} of {', '.join(row.services)}.",
                          incident=row.id)


# --- the gate's checks for this phase (M26) --------------------------------------------------------------

@register("page_fired")
def check_page_fired(record: ShiftRecord) -> CheckResult:
    sc, page = record.scenario, record.page
    if page is None:
        return CheckResult("page_fired", False, None, sc.expected_severity, "no page fired during the shift")
    slo = record.slos[page.slo]
    tier = next(t for t in record.evaluations[page.slo].tiers if t.name == page.tier)
    start = impact_start_minute(record, page.slo)
    minutes = page.minute - start + 1                # minutes of the burn inside the window that fired
    ratio = alerting.realized_error_ratio(record.service, slo, start, page.minute + 1)
    formula = alerting.formula_minutes(slo, tier, ratio)
    before = alerting.realized_error_ratio(record.history, slo, 0, len(record.history)) \
        if record.history is not None else 0.0
    expected = alerting.formula_minutes_with_traffic(slo, tier, ratio, record.service, start, record.history, before)
    severity = record.metrics.get("page_severity")
    _bad, total = slo.bad_and_total(record.service)
    tol = page_tolerance_min(expected or 0.0, ratio, int(total[start:page.minute + 1].sum()))
    in_time = expected is not None and expected - tol - 1e-9 <= minutes <= expected + tol
    passed = bool(in_time and severity == sc.expected_severity)
    if formula is None or expected is None:
        detail = (f"{severity} page after {minutes} min; the formula says {page.tier} cannot fire at "
                  f"{100 * ratio:.2f} %")
    else:
        traffic = ("" if abs(expected - formula) < 2 else
                   f" at constant traffic from a clean window; {expected:.0f} min with the night's real traffic "
                   f"and the {100 * before:.2f} % bad of the days before in the {tier.long_window_min // 60} h window")
        detail = (f"{severity} page after {minutes} min on {page.slo} ({page.tier}); the workbook's formula at the "
                  f"realized {100 * ratio:.2f} % bad says {formula:.2f} min{traffic}")
    return CheckResult("page_fired", passed, minutes,
                       f"{sc.expected_severity}, {max(expected - tol, 0):.2f} to {expected + tol:.2f} min"
                       if expected is not None else sc.expected_severity, detail)


@register("storm_collapsed")
def check_storm_collapsed(record: ShiftRecord) -> CheckResult:
    """One incident holds every correlated alert of the outage; the concurrent unrelated incident (a real one,
    not background noise) is kept apart from it; noise reduction on distinct alerts (not on re-sends) at least the
    scenario's bar."""
    alerts, assignment = record.alerts, record.correlation.assignment
    bad_cause = record.cause.label
    kept = ~assignment.isin(corr.REASONS)
    cause = alerts["true_cause"].astype(str)
    outage = set(assignment[kept & (cause == bad_cause)])
    concurrent = kept & (cause != bad_cause) & ~cause.str.startswith("background")
    other = set(assignment[concurrent])
    noise = record.metrics["noise_reduction_distinct_pct"]
    one, apart = len(outage) == 1, not (outage & other)
    bar = record.scenario.noise_reduction_min_pct
    passed = bool(one and apart and other and noise >= bar)
    m = record.metrics
    detail = (f"{m['alerts_total']} alert notifications ({m['distinct_alerts']} distinct alerts) -> "
              f"{m['group_notifications']} Alertmanager group notifications -> {m['notifications_sent']} incidents "
              f"for the on-call: noise reduction {noise:.2f} % on distinct alerts (the bar), "
              f"{m['noise_reduction_pct']:.2f} % on notifications; the outage in "
              f"{len(outage)} incident(s), the concurrent incident "
              f"{'kept apart' if apart and other else 'merged with it' if other else 'not seen'}; pairwise precision "
              f"{m['grouping_precision']:.3f}, recall {m['grouping_recall']:.3f}")
    return CheckResult("storm_collapsed", passed, noise, bar, detail)
