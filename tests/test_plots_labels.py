"""Marker labels (deploy, page, ack, rollback, recovered, ...) never overlap one another or another text on their
axes, in every figure that draws them: 00's timeline and traffic (and the report's), 01's storm and burn chart,
02's link graph, 03's SLI and budget plots. Each label starts at its own line (or ends there, near the right edge).
Read off the figure as saved, after its layout."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import pytest  # noqa: E402

from oncall.plots import MARKER_LABEL_GID, place_marker_labels, plt, service_overview, shift_timeline  # noqa: E402
from oncall.plots import detect as detect_plots  # noqa: E402
from oncall.plots import mitigate as mitigate_plots  # noqa: E402
from oncall.plots.triage import ticket_links  # noqa: E402


def _labels(fig):
    """Save the figure (its final layout), then each axes' marker labels and other texts, as window boxes."""
    fig.savefig(io.BytesIO(), format="png", dpi=80)
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        marks = [t for t in ax.texts if t.get_gid() == MARKER_LABEL_GID]
        others = [t for t in ax.texts if t.get_gid() != MARKER_LABEL_GID and t.get_text()]
        out.append((ax, marks, others, renderer))
    return out


def _check(fig, at_least: int) -> list[str]:
    seen = []
    for ax, marks, others, renderer in _labels(fig):
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in marks]
        for i, (name, box) in enumerate(boxes):
            for other, b in boxes[i + 1:] + [(t.get_text(), t.get_window_extent(renderer)) for t in others]:
                assert not box.overlaps(b), f"marker label {name!r} overlaps {other!r}"
        for t in marks:
            x = ax.transData.transform((mdates.date2num(t.xy[0]), 0))[0]
            box = t.get_window_extent(renderer)
            assert min(abs(box.x0 - x), abs(box.x1 - x)) <= 4, f"{t.get_text()!r} is not at its line"
            assert ax.get_window_extent(renderer).x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1, \
                f"{t.get_text()!r} is off the figure"
        seen += [name for name, _ in boxes]
    plt.close(fig)
    assert len(seen) >= at_least, seen
    return seen


@pytest.fixture(scope="module")
def without(scenario):
    from oncall.shift import run_shift

    return run_shift(scenario, break_mode="no-mitigation")


def test_timeline_and_traffic_labels(shift):
    trace, sc = shift.trace.to_frame(), shift.scenario
    seen = _check(shift_timeline(trace, span=(sc.shift.start, sc.shift.end)), 3)
    assert {"page", "rollback"} <= set(seen) and not any("2026.11.2" in s for s in seen), \
        "the deploy before the shift gets no label off the axes"
    markers = trace[trace.kind.isin(["release.deployed", "release.rolled_back", "page.sent"])]
    _check(service_overview(shift.service, markers), 4)


def test_burn_chart_labels_six_markers_in_half_an_hour(shift):
    from oncall.incident_response import budget

    slo = shift.slos["availability"]
    fig = detect_plots.burn_chart(shift.service, slo, shift.evaluations["availability"], shift.page,
                                  events=shift.trace.to_frame(), history=shift.history,
                                  period_total=budget.period_events(shift.scenario.traffic, slo.period_min))
    seen = _check(fig, 7)
    assert {"degraded", "page", "ack", "rollback", "recovered"} <= set(seen)


def test_storm_and_link_graph_labels(shift):
    deploy = shift.scenario.releases.bad.deployed_at
    events = mitigate_plots.key_events(shift)
    fig = detect_plots.storm(shift.alerts, span=(deploy - detect_plots.timedelta(minutes=45),
                                                 deploy + detect_plots.timedelta(minutes=75)),
                             events=events[events.kind.isin(["release.deployed", "page.sent", "release.rolled_back"])])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    _check(fig, 3)
    assert not [t for t in legend if t.startswith(" (")], f"a legend entry with no name: {legend}"
    _check(ticket_links(shift, triage_decisions(shift), deploy), 2)


def triage_decisions(record):
    """The triage decisions of a finished shift, as 02 shows them (the triage phase again, on a copy)."""
    import copy

    from oncall.triage import triage

    return triage(copy.deepcopy(record))


def test_mitigate_plots_labels(shift, without):
    _check(mitigate_plots.sli_recovery(shift), 5)
    _check(mitigate_plots.budget_spent(shift, without), 2)


def test_placement_moves_a_crowded_label_down_not_onto_another():
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.set_xlim(0, 100)
    anns = place_marker_labels(ax, [(10, "deploy 2026.11.3", "k"), (11, "page", "r"), (12, "ack", "b")])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [a.get_window_extent(renderer) for a in anns]
    assert len({round(b.y1) for b in boxes}) == 3, "three lanes"
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    plt.close(fig)
