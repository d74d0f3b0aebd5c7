"""One budget vocabulary: every error-budget figure a whole shift prints (the story, the handoff, the postmortem,
the scorecard, report.html and the budget plots' texts) is one of exactly two quantities, each named the same way
everywhere, and each recomputed here from the record's counts without the package's budget arithmetic:

- the error budget **spent by the incident**: each minute's bad events above the pre-incident error ratio (never
  below 0), from the cause's onset to the incident's resolution (or the shift's end), over the 30-day budget of
  the traffic model's mean rate;
- the error budget **left in the 30-day window** at a stated time: the simulated history's and the shift's bad
  events so far, the rest of the 30 days at the history's error ratio, subtracted from the 30-day budget.

Besides those, a budget sentence may only state the incident's limit, the policy's line and the history's error
ratio the window assumes (checked too); any other number in it fails the test.
"""
from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import pytest

from oncall.scenario import load_scenario
from oncall.shift import run_shift

CASES = [("bad-deploy", "none", 7), ("bad-deploy", "no-mitigation", 3), ("stale-index", "none", 2)]

SPENT = re.compile(r"(\d+\.\d+) % of the 30-day error budget spent by the incident")
SPENT_ROW = re.compile(r"error budget spent by the incident \| (\d+\.\d+) % of the 30-day \w+ budget")
SPENT_PLOT = re.compile(r"error budget spent by the incident to (\d+\.\d+) % of 30 days; without it, (\d+\.\d+) %")
SPENT_METRIC = re.compile(r"error budget spent by the incident, % of 30 days \| (\d+(?:\.\d+)?)")
LEFT = re.compile(r"(\d+\.\d+) % of the (\w+) error budget left in the 30-day window at (\d\d):(\d\d)")
LEFT_METRIC = re.compile(r"error budget left in the 30-day window at the canary, % \| (\d+(?:\.\d+)?)")
LIMIT = re.compile(r"limit (?:for this incident: )?(\d+(?:\.\d+)?) %")
LINE = re.compile(r"line of (\d+(?:\.\d+)?) % left")
HISTORY = re.compile(r"history's error ratio, (\d+\.\d+) %")
NUMBER_PCT = re.compile(r"(\d+(?:\.\d+)?) ?%")


def _independent(record, slo_name: str | None = None):
    """(spent by the incident, {minute: left in the 30-day window}, the history's error ratio %) from raw counts,
    for ``slo_name`` (default: the paged SLO)."""
    sc = record.scenario
    slo = record.slos[slo_name or record.page.slo]
    bad, total = (np.asarray(a, dtype=float) for a in slo.bad_and_total(record.service))
    rpm = (sc.traffic.peak_rpm + sc.traffic.trough_rpm) / 2
    budget_events = (1 - slo.objective) * rpm * slo.period_min
    start = int((record.cause.onset_at - sc.shift.start).total_seconds() // 60)
    inc = record.incidents[record.paged_incident]
    resolved = inc.time_of("resolved")
    end = len(bad) if resolved is None else math.ceil((resolved - sc.shift.start).total_seconds() / 60)
    base = bad[:start].sum() / total[:start].sum()
    excess = sum(max(0.0, b - base * t) for b, t in zip(bad[start:end], total[start:end]))
    spent = 100 * excess / budget_events

    hist_bad, hist_total = (np.asarray(a, dtype=float) for a in slo.bad_and_total(record.history))
    ratio = hist_bad.sum() / hist_total.sum()
    left = {}
    for m in range(len(bad) + 1):
        unobserved = max(slo.period_min - len(hist_total) - m, 0) * rpm * ratio
        left[m] = 100 - 100 * (hist_bad.sum() + bad[:m].sum() + unobserved) / budget_events
    return spent, left, 100 * ratio


def _sentences(text: str) -> list[str]:
    """Budget sentences: split at sentence ends and list items; those naming a budget (not the burn alert's name,
    not an eval's latency or token budget)."""
    out = []
    for part in re.split(r"(?<=[.;])\s+(?=[A-Z0-9-])|\n", text):
        low = part.lower()
        if "budget" not in low.replace("errorbudgetburn", "").replace("latency budget", "").replace(
                "token budget", "").replace("ms budget", ""):
            continue
        out.append(part)
    return out


def _page_text(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"src=['\"]data:[^'\"]*['\"]", "", page)
    page = re.sub(r"</t[dh]>\s*<t[dh][^>]*>", " | ", page)       # a table row reads "label | value"
    page = re.sub(r"<(tr|p|li|h\d|pre|br|div|figcaption)\b[^>]*>", "\n", page)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _plot_texts(record, without) -> str:
    """The budget plots' titles, labels and notes."""
    import matplotlib

    matplotlib.use("Agg")
    from oncall import report
    from oncall.plots import close
    from oncall.plots import mitigate as mplots
    from oncall.plots.detect import burn_chart

    slo = record.page.slo
    figs = [burn_chart(record.service, record.slos[slo], record.evaluations[slo], record.page,
                       events=record.trace.to_frame(), history=record.history,
                       period_total=report._period_total(record, slo)),
            mplots.budget_spent(record, without)]
    texts = []
    for fig in figs:
        for ax in fig.axes:
            texts += [ax.get_title(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
        texts += [t.get_text() for t in fig.texts]
        texts = [t.replace("\n", " ") for t in texts]
        close(fig)
    return "\n".join(t for t in texts if t)


def _check(texts: dict[str, str], record, spent: float, without_spent: float):
    """Every number in every budget sentence, accounted for. Returns how many figures of each kind were seen."""
    sc = record.scenario
    start = sc.shift.start
    seen = {"spent": 0, "left": 0}
    problems = []
    windows = {name: _independent(record, name)[1:] for name in record.slos}   # {slo: (left by minute, history %)}
    left, _ = windows[record.budget.slo]            # the policy's SLO: the scorecard's figure at the canary

    def close_to(printed: str, value: float, stored_decimals: int) -> bool:
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        return abs(float(printed) - value) <= 0.5 * 10 ** -decimals + 0.5 * 10 ** -stored_decimals + 1e-9

    for name, text in texts.items():
        for sentence in _sentences(text):
            rest = sentence
            for pattern in (SPENT, SPENT_ROW, SPENT_METRIC):
                for m in pattern.finditer(sentence):
                    seen["spent"] += 1
                    if not close_to(m[1], spent, 3):
                        problems.append(f"{name}: spent {m[1]} != {spent:.4f}: {sentence}")
                rest = pattern.sub(" ", rest)
            for m in SPENT_PLOT.finditer(sentence):
                seen["spent"] += 1
                if not (close_to(m[1], spent, 3) and close_to(m[2], without_spent, 3)):
                    problems.append(f"{name}: plot spent {m[1]}/{m[2]} != {spent:.4f}/{without_spent:.4f}")
            rest = SPENT_PLOT.sub(" ", rest)
            for m in LEFT.finditer(sentence):
                seen["left"] += 1
                minute = (int(m[3]) * 60 + int(m[4]) - (start.hour * 60 + start.minute)) % 1440
                value = windows[m[2]][0][minute]
                if not close_to(m[1], value, 2):
                    problems.append(f"{name}: {m[2]} left {m[1]} at {m[3]}:{m[4]} != {value:.4f}: {sentence}")
            rest = LEFT.sub(" ", rest)
            for m in LEFT_METRIC.finditer(sentence):
                seen["left"] += 1
                canary = int((sc.canary_at - start).total_seconds() // 60)
                if not close_to(m[1], left[canary], 2):
                    problems.append(f"{name}: left at the canary {m[1]} != {left[canary]:.4f}")
            rest = LEFT_METRIC.sub(" ", rest)
            for m in LIMIT.finditer(rest):
                if float(m[1]) != sc.budget_limit_pct:
                    problems.append(f"{name}: limit {m[1]} is not the scenario's {sc.budget_limit_pct}")
            rest = LIMIT.sub(" ", rest)
            for m in LINE.finditer(rest):
                if float(m[1]) != 100 - record.budget.line_pct:
                    problems.append(f"{name}: policy line {m[1]} % left is not the policy's")
            rest = LINE.sub(" ", rest)
            for m in HISTORY.finditer(rest):
                if not any(close_to(m[1], pct, 9) for _, pct in windows.values()):
                    problems.append(f"{name}: history's ratio {m[1]} is no SLO's history: {sentence}")
            rest = HISTORY.sub(" ", rest)
            stray = NUMBER_PCT.findall(rest)
            if stray:
                problems.append(f"{name}: budget figure(s) {stray} outside the two quantities: {sentence}")
    assert not problems, "\n".join(problems)
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("scenario_name,break_mode,seed", CASES)
def test_every_budget_figure_of_a_shift_is_one_of_the_two(scenario_name, break_mode, seed, tmp_path, oncall_cli):
    out = tmp_path / "run"
    result = oncall_cli(["drill", "--full", "--scenario", scenario_name, "--break", break_mode, "--seed", seed,
                         "--out", out])
    assert result.returncode in (0, 1), result.stderr
    scenario = load_scenario(scenario_name)
    record = run_shift(scenario, seed, break_mode)
    without = run_shift(scenario, seed, "no-mitigation") if break_mode != "no-mitigation" else record
    spent = _independent(record)[0]
    left = _independent(record, record.budget.slo)[1]
    without_spent = _independent(without)[0]

    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    metrics = card["metrics"]
    canary = int((scenario.canary_at - scenario.shift.start).total_seconds() // 60)
    assert abs(metrics["budget_consumed_pct"] - spent) <= 0.0005 + 1e-9, (metrics["budget_consumed_pct"], spent)
    assert abs(metrics["budget_remaining_pct_at_canary"] - left[canary]) <= 0.005 + 1e-9
    texts = {"story": result.stdout,
             "handoff": (out / "handoff.md").read_text(encoding="utf-8"),
             "postmortem": (out / "postmortem.md").read_text(encoding="utf-8"),
             "scorecard": "\n".join(str(c["detail"]) for c in card["checks"]),
             "report.html": _page_text((out / "report.html").read_text(encoding="utf-8")),
             "plots": _plot_texts(record, without)}
    seen = _check(texts, record, spent, without_spent)
    assert seen["spent"] >= 5 and seen["left"] >= 3, seen     # story, handoff, postmortem, report, plots say them
