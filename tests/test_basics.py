"""One home for each basic: the duration parser, the error-budget arithmetic, the data-file loader."""
import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, Field

from oncall import datafile
from oncall.durations import parse_duration, parse_duration_min
from oncall.errors import BadInput
from oncall.incident_response import budget


def test_one_grammar_two_spellings():
    assert parse_duration("1h30m") == 5400 and parse_duration("250ms") == 0.25 and parse_duration(90) == 90
    assert [parse_duration_min(t, "f", "x") for t in ("30d", "6h", " 5m ", "2w")] == [43200, 360, 5, 20160]
    for bad in ("30s", "0d", "1h30m", "1 hour", "d"):       # OpenSLO: one whole number above 0, units m h d w
        with pytest.raises(BadInput, match=r"f: x: expected a duration like 30d"):
            parse_duration_min(bad, "f", "x")
    with pytest.raises(BadInput, match=r"f: x: missing; expected a duration"):
        parse_duration(None, "f", "x")


def test_spent_pct_is_bad_over_the_budget():
    # 99.9 % over 1000 events: the budget is 1 bad event; 3 bad spend 300 %.
    assert budget.spent_pct(3, 0.001, 1000) == pytest.approx(300)
    out = np.empty(3)
    assert budget.spent_pct(np.array([0, 1, 2]), 0.01, 100, out=out) is out
    assert list(out) == pytest.approx([0, 100, 200])


def test_incident_spends_only_above_its_baseline():
    total = np.full(20, 100)
    bad = np.r_[np.full(10, 1), np.full(10, 11)]          # 1 % before the incident, 11 % during it
    spent = budget.incident_spent_pct(bad, total, 10, 20, 0.01, 10_000)
    assert spent == pytest.approx(100 * 100 / (0.01 * 10_000))     # 10 extra bad a minute for 10 minutes
    assert budget.incident_spent_pct(bad, total, 0, 10, 0.01, 10_000) == pytest.approx(10)  # no baseline: all counts
    assert budget.incident_spent_pct(bad[::-1], total, 10, 20, 0.01, 10_000) == 0   # below the baseline: 0


def test_policy_reads_and_names_the_field(tmp_path):
    assert budget.load_policy().allowed_kinds == ("fix",)
    path = tmp_path / "policy.yaml"
    path.write_text("restrict_at_spent_pct: 150\n", encoding="utf-8")
    with pytest.raises(BadInput) as err:
        budget.load_policy(path)
    assert err.value.field == "restrict_at_spent_pct" and "(got 150)" in err.value.expected


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[dict[str, int]] = Field(min_length=1)


@pytest.mark.parametrize("doc, field, words", [
    ({"steps": [{"a": 1}, {"b": "x"}]}, "steps[1].b", "valid integer, unable to parse string as an integer (got 'x')"),
    ({"steps": [], "colour": 1}, "steps", "at least 1"),
    ({"steps": [{"a": 1}], "colour": 1}, "colour", "unknown field"),
    ({}, "steps", "missing"),
    ([1], None, "expected a mapping"),
])
def test_one_form_of_error_line(doc, field, words):
    with pytest.raises(BadInput) as err:
        datafile.validate(_Doc, doc, "f.yaml")
    assert (err.value.where, err.value.field) == ("f.yaml", field) and words in err.value.expected
