"""Detect: the page comes when the workbook's formula says, at the right severity, on the correlated incident."""
import pytest

from oncall.detect import PAGE_TOLERANCE_MIN
from oncall.incident_response import alerting, burn
from oncall.scenario import OnCallChoices
from oncall.service import simulate as sim
from oncall.shift import run_shift


def _page_minutes(record):
    sc = record.scenario
    deploy = sim.minute_of(sc, sc.releases.bad.deployed_at)
    page = record.page
    slo = record.slos[page.slo]
    tier = next(t for t in burn.load_tiers() if t.name == page.tier)
    # Recomputed here from the counts, not read from the check: the realized error ratio and the formula.
    bad, total = slo.bad_and_total(record.service.iloc[deploy:page.minute + 1])
    ratio = bad.sum() / total.sum()
    formula = slo.budget_ratio / ratio * tier.long_window_min * tier.threshold(slo.period_min)
    return page.minute - deploy + 1, formula


@pytest.mark.parametrize("seed", range(1, 21))
def test_pages_sev1_at_the_formula_time(shift_by_seed, seed):
    record = shift_by_seed[seed]
    minutes, formula = _page_minutes(record)
    assert formula <= minutes <= formula + PAGE_TOLERANCE_MIN
    assert record.metrics["page_severity"] == "SEV-1"
    checks = {c.name: c for c in record.checks}
    assert checks["page_fired"].passed, checks["page_fired"].detail


def test_the_page_joins_the_correlated_incident(shift):
    page_events = shift.trace.of_kind("page.sent")
    assert len(page_events) == 1
    incident = page_events[0].refs["incident"]
    assert incident == shift.paged_incident and incident in shift.incidents
    assert page_events[0].refs["severity"] == "SEV-1" and page_events[0].refs["tier"] == "page-1h"
    opened = [e for e in shift.trace.of_kind("incident.opened") if e.refs["incident"] == incident]
    assert opened and opened[0].t <= page_events[0].t


def test_no_ticket_tier_fires_from_an_empty_history(shift):
    """The alert windows read three days of history, so the shift's first minutes do not look like a burn."""
    deploy = sim.minute_of(shift.scenario, shift.scenario.releases.bad.deployed_at)
    for ev in shift.evaluations.values():
        assert not ev.fires(None)[:deploy].any()


def test_a_milder_release_pages_at_a_lower_severity(scenario):
    """The same engine on a release failing ~3 % of requests: still a page, but SEV-2 by impact."""
    record = run_shift(scenario, 7, choices=OnCallChoices(mitigate=False))
    deploy = sim.minute_of(scenario, scenario.releases.bad.deployed_at)
    service = record.service.copy()
    rng = sim.rng_for(7, "milder")
    service.loc[service.index[deploy]:, "errors"] = rng.binomial(service["requests"].iloc[deploy:], 0.03)
    ev = alerting.evaluate_slos(service, record.slos, history=record.history)
    page = alerting.first_page(service, ev, "support-assistant", after_minute=deploy)
    from oncall.incident_response.paging import load_policy

    assert page is not None
    assert load_policy().severity_for("page", page.impact_pct)[0] in ("SEV-2", "SEV-3")
