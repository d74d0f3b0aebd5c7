"""The numbers the data files state in prose agree with the arithmetic they describe."""
import math
import re

import pytest

from oncall.incident_response import burn
from oncall.paths import DATA_DIR

TIERS = burn.load_tiers()


def _comments(path) -> str:
    """The file's comment lines, joined into one text (line breaks as spaces)."""
    lines = [line.strip()[1:].strip() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("#")]
    return " ".join(lines)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_low_traffic_example_is_burn_100_and_13_9_percent():
    text = _comments(burn.TIERS_FILE)
    m = re.search(r"has (\d+) requests an hour, where one failure is an error ratio of ([\d.]+) %, a burn rate "
                  r"of ([\d,]+) over that hour .*? and ([\d.]+) % of the 30-day budget", text)
    assert m, "the workbook's low-traffic example is stated as: N requests an hour ... burn rate ... % of the budget"
    per_hour, ratio_pct, burn_rate, budget_pct = (_number(g) for g in m.groups())
    objective = 0.999
    assert ratio_pct == 100 / per_hour
    assert burn_rate == round((1 / per_hour) / (1 - objective))            # 10 % / 0.1 % = 100, not 1000
    assert budget_pct == round(100 * burn_rate * 60 / (30 * 1440), 1)       # 100 x 1 h / 720 h = 13.9 %


def test_the_guard_sentence_says_which_window_two_failures_clear():
    text = _comments(burn.TIERS_FILE)
    fastest = TIERS[0]
    guard = fastest.min_requests
    short_events, long_events = guard, guard * fastest.long_window_min // fastest.short_window_min
    # The smallest number of failures whose burn reaches the threshold (float-safe: 14.4 x 0.1 % x 100).
    need = {n: math.ceil(round(fastest.burn_rate * 0.001 * n, 9)) for n in (short_events, long_events)}
    m = re.search(r"(\d+)-minute window of (\d+) events it takes (two|\d+) failures \(burn (\d+)\) to clear the "
                  r"SHORT window; its (\d+)-hour window then holds (\d+) events and clears [\d.]+ only at (\d+) "
                  r"failures \(burn (\d+)\)", text)
    assert m, "the guard's reason names the window that two failures clear, and what the long window needs"
    short_min, events, two, burn_two, long_h, held, failures, burn_long = m.groups()
    assert (int(short_min), int(events), int(long_h)) == (fastest.short_window_min, guard,
                                                           fastest.long_window_min // 60)
    assert {"two": 2}.get(two, two) == need[short_events] and int(burn_two) == round(2 / guard / 0.001)
    assert int(held) == long_events and int(failures) == need[long_events]
    assert int(burn_long) == round(int(failures) / long_events / 0.001)


def test_the_budget_policy_labels_its_own_line_and_states_the_workbooks_triggers():
    text = _comments(DATA_DIR / "policy" / "error_budget.yaml")
    assert "course's own choice" in text
    assert "workbook's teams start to act" not in text     # the 50 % is not the Workbook's
    assert re.search(r"exceeded its error budget over the trailing four weeks.*halt all changes", text)
    assert re.search(r"single incident spends more than 20 % of the four-week budget, hold a postmortem", text)


# ------------------------------------------------------------------ slo explain: exact at any objective

@pytest.mark.parametrize("objective", [0.9, 0.99, 0.999, 0.9995, 0.9999, 0.99995, 0.99999])
@pytest.mark.parametrize("error_ratio", [1.0, 0.5, 0.05, 0.0123])
@pytest.mark.parametrize("period_days", [30, 28])
def test_explain_is_the_closed_form_at_every_objective(objective, error_ratio, period_days):
    result = burn.explain(objective, error_ratio, f"{period_days}d")
    burn_rate = error_ratio / (1 - objective)
    for tier, row in zip(TIERS, result["tiers"]):
        threshold = tier.threshold(period_days * 1440)
        if burn_rate < threshold * (1 - 1e-9):
            assert not row["fires"]
            continue
        fires_after = (1 - objective) / error_ratio * tier.long_window_min * threshold
        assert row["fires_after_min"] == pytest.approx(fires_after, rel=1e-6, abs=1e-6)
        assert row["budget_consumed_pct"] == pytest.approx(100 * threshold * tier.long_window_min
                                                           / (period_days * 1440), abs=1e-4)


def test_explain_at_99_999_percent_says_2_59_s_and_10_percent_for_the_3_day_ticket():
    result = burn.explain(0.99999, 1)
    ticket = result["tiers"][3]
    assert round(ticket["fires_after_min"] * 60, 2) == 2.59 and ticket["budget_consumed_pct"] == 10.0
    assert "fires after 2.59 s, having spent 10.0 % of the budget" in burn.explain_text(result, 1).splitlines()[4]
