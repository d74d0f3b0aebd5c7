"""Plots of the mitigate phase (oncall/plots/mitigate.py), headless on the Agg backend; plus the learn phase's
verdict grid (oncall/plots/learn.py) and the mitigation widget (oncall/widgets/mitigate.py), which draw with them."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from oncall.plots import learn as learn_plots  # noqa: E402
from oncall.plots import mitigate as plots  # noqa: E402
from oncall.scenario import OnCallChoices  # noqa: E402
from oncall.shift import run_shift  # noqa: E402


@pytest.fixture(scope="module")
def without(scenario):
    return run_shift(scenario, choices=OnCallChoices(mitigate=False))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _vlines_at(ax) -> set[str]:
    """HH:MM of every vertical line on ``ax`` (axvline: two equal x values)."""
    out = set()
    for line in ax.get_lines():
        xs = line.get_xdata()
        if len(xs) == 2 and xs[0] == xs[1]:
            x = xs[0]
            out.add(mdates.num2date(x if isinstance(x, float) else mdates.date2num(x)).strftime("%H:%M"))
    return out


def test_budget_curve_ends_at_the_scorecards_numbers(shift, without):
    with_curve, without_curve = plots.budget_curve(shift), plots.budget_curve(without)
    assert with_curve.iloc[0] == 0 and without_curve.iloc[0] == 0
    spent, at = plots.spent_by_resolution(shift, with_curve)
    assert round(spent, 3) == shift.metrics["budget_consumed_pct"]
    assert at == shift.incidents[shift.paged_incident].time_of("resolved")
    never, end = plots.spent_by_resolution(without, without_curve)
    # Never mitigated by the on-call: the fix rolled forward hours later resolves it (oncall/mitigate.py).
    resolved = without.incidents[without.paged_incident].time_of("resolved")
    assert round(never, 3) == without.metrics["budget_consumed_pct"] and end == (resolved or without.scenario.shift.end)
    assert never > 10 * spent
    # Spent budget is never given back: both curves only grow, and stay flat once the incident resolved.
    for record, curve, resolved_at in ((shift, with_curve, at), (without, without_curve, end)):
        assert (curve.diff().dropna() >= 0).all(), "the budget spent by the incident never goes down"
        assert curve[curve.index >= resolved_at].nunique() == 1


def test_sli_bad_pct_reads_the_bad_release_off_the_counts(shift):
    ratios = plots.sli_bad_pct(shift.service, shift.slos)
    deploy = shift.scenario.releases.bad.deployed_at
    mitigated = plots.mitigated_at(shift)
    during = ratios.availability[(ratios.index >= deploy + (mitigated - deploy) / 2) & (ratios.index <= mitigated)]
    assert 10 < during.mean() < 20, "about 14 % of requests are refunds that fail"
    assert ratios.availability[ratios.index <= deploy].max() < 1
    assert set(ratios.columns) == set(shift.slos)


def test_key_events_are_the_story_in_order(shift):
    events = plots.key_events(shift)
    assert list(events.kind) == ["release.deployed", "page.sent", "incident.acknowledged", "release.rolled_back",
                                 "sli.recovered"]
    assert events.refs.iloc[0]["release"] == shift.scenario.releases.bad.version
    assert events.t.is_monotonic_increasing


def test_recovery_title_is_computed_from_the_record(shift, without):
    title = plots.recovery_title(shift)
    assert "01:30 deploy" in title and f"{plots.mitigated_at(shift):%H:%M} rollback" in title
    # nobody rolled back: the fix rolled forward hours later is what brought the errors back down
    late = plots.recovery_title(without)
    assert f"the {plots.mitigated_at(without):%H:%M} roll-forward brings them back" in late, late


def test_sli_recovery_draws_three_panels_with_markers(shift):
    fig = plots.sli_recovery(shift)
    axes = fig.get_axes()
    assert len(axes) == 3
    assert fig._suptitle.get_text() == plots.recovery_title(shift)
    marks = _vlines_at(axes[0])
    for kind in ("release.rolled_back", "page.sent", "incident.acknowledged", "sli.recovered"):
        assert f"{plots.key_events(shift).set_index('kind').t[kind]:%H:%M}" in marks, kind
    labels = [t.get_text() for t in axes[0].texts]
    assert any(label.startswith("deploy ") for label in labels) and "rollback" in labels
    for ax in axes:   # every panel shows its objective, and the objective is inside the view
        objective = [t for t in ax.texts if t.get_text().startswith("objective allows")]
        assert objective and ax.get_ylim()[1] > objective[0].xy[1]


def test_budget_spent_compares_with_and_without(shift, without):
    fig = plots.budget_spent(shift, without)
    ax = fig.get_axes()[0]
    title = ax.get_title()
    assert f"{shift.metrics['budget_consumed_pct']:.2f} %" in title
    assert f"{without.metrics['budget_consumed_pct']:.2f} %" in title
    forward = plots.roll_forward_at(without)          # why the curve without mitigation flattens, said beside it
    assert forward is not None and {t.get_text() for t in ax.get_legend().get_texts()} == {
        f"without mitigation (flat once the fix's canary takes 100 % at {forward:%H:%M}: a roll-forward)",
        f"with the rollback at {plots.mitigated_at(shift):%H:%M}"}


def test_a_twice_failing_rollback_is_marked_as_escalated(scenario):
    twice = scenario.with_faults(rollback_failures=2)
    record = run_shift(twice)
    assert "page.escalated" in set(plots.key_events(record).kind)
    fig = plots.sli_recovery(record, slos=["availability"])
    assert "escalated" in [t.get_text() for t in fig.get_axes()[0].texts]
    assert "redeploy" in plots.recovery_title(record)


def test_the_widget_figure_keeps_its_span(scenario, without):
    from datetime import timedelta

    record = run_shift(scenario, choices=OnCallChoices(action="flag_off"))
    deploy = scenario.releases.bad.deployed_at
    span = (deploy - timedelta(minutes=30), deploy + timedelta(hours=3))
    fig = plots.mitigation_outcome(record, without, span, "flag off at once")
    top, bottom = fig.get_axes()
    assert "flag off" in [t.get_text() for t in top.texts]
    assert "kill switch" in fig._suptitle.get_text()
    lo, hi = (mdates.num2date(x) for x in bottom.get_xlim())
    assert (lo, hi) == span


@pytest.mark.slow
def test_mitigation_picker_reruns_the_shift_when_driven():
    from oncall.widgets.mitigate import MitigationPicker

    picker = MitigationPicker("bad-deploy")
    first = picker.record
    assert first.metrics["time_to_mitigate_min"] <= 30
    picker.delay.value = 30
    assert picker.record is not first and picker.record.choices.delay_min == 30
    assert picker.record.metrics["time_to_mitigate_min"] == first.metrics["time_to_mitigate_min"] + 30
    picker.action.value = "wait"
    assert any(e.kind == "page.escalated" for e in picker.record.trace.events)


def test_verdict_grid_marks_red_cells_and_titles_them(shift, scenario):
    results = {f"{role}\n{role}": r for role, r in shift.regression_results.items()}
    fig = learn_plots.verdict_grid(results)
    texts = [t.get_text() for t in fig.get_axes()[0].texts]
    assert texts.count("FAIL") == sum(not c.passed for r in results.values() for c in r.cases)
    title = fig._suptitle.get_text()
    assert "red on bad (bad)" in title and "green on" in title
    rows = learn_plots.verdict_table(results)
    assert all(len(row) == len(results) and not any(v is None for v in row) for _, row in rows)


def test_budget_title_never_compares_the_curve_with_itself(without):
    title = plots.budget_title(without, without)
    forward = plots.roll_forward_at(without)
    assert title == (f"Never mitigated by the on-call: {without.metrics['budget_consumed_pct']:.2f} % of the 30-day "
                     f"error budget spent by the incident (the fix's roll-forward at {forward:%H:%M} ended the incident)")
