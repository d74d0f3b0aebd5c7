"""Scenario files: the schema holds the story together, and every bad file gets one clear line."""
from pathlib import Path

import pytest
import yaml

from oncall.errors import BadInput
from oncall.paths import DATA_DIR
from oncall.scenario import list_scenarios, load_scenario

GOOD = yaml.safe_load((DATA_DIR / "scenarios" / "bad-deploy.yaml").read_text())


def _write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


def _edit(change):
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    change(doc)
    return doc


def test_bad_deploy_loads(scenario):
    assert scenario.name == "bad-deploy"
    assert scenario.releases.bad.deployed_at < scenario.canary_at < scenario.shift.end
    assert scenario.expected_severity == "SEV-1"
    assert set(scenario.break_modes) == {"errors", "latency", "quality", "skip-canary", "no-mitigation"}


def test_listed(scenario):
    assert ("bad-deploy", scenario.title) in list_scenarios()


@pytest.mark.parametrize("doc, field, words", [
    ("releases: [unclosed", None, "not valid YAML"),
    ("- just\n- a list\n", None, "expected a mapping"),
    (_edit(lambda d: d.update(surprise=1)), "surprise", "unknown field"),
    (_edit(lambda d: d["traffic"].update(peak_rpm=-5)), "traffic.peak_rpm", "greater than 0"),
    (_edit(lambda d: d["releases"]["bad"].update(deployed_at="2026-11-28T01:00:00Z")), "releases.bad.deployed_at", "inside the shift"),
    (_edit(lambda d: d["releases"]["bad"].update(model="gpt-nonexistent")), "releases.bad.model", "unknown model"),
    (_edit(lambda d: d.update(checks=["page_fired", "vibes"])), "checks", "unknown check"),
    (_edit(lambda d: d["break_modes"].update(chaos={"description": "x", "must_fail": ["page_fired"]})), "break_modes.chaos", "expected one of"),
    (_edit(lambda d: d.update(canary_at="2026-11-27T01:00:00Z")), "canary_at", "after the incident starts"),
    (_edit(lambda d: d["shift"].pop("start")), "shift.start", "missing"),
    (_edit(lambda d: d["traffic"].update(trough_rpm=5, peak_rpm=10)), "traffic.min_rpm_at_deploy", "below"),
    (_edit(lambda d: d.update(slos=["availability", "happiness"])), "slos[1]", "no SLO named"),
])
def test_bad_scenarios_name_file_and_field(tmp_path, doc, field, words):
    path = _write(tmp_path, doc)
    with pytest.raises(BadInput) as err:
        load_scenario(str(path))
    line = err.value.line()
    assert str(path) in line and words in line
    if field:
        assert err.value.field == field
    assert "\n" not in line


def test_names_resolve_inside_data_only():
    with pytest.raises(BadInput, match="no scenario named 'nope'"):
        load_scenario("nope")
    with pytest.raises(BadInput, match="no such file"):
        load_scenario("../scenarios/bad-deploy")  # a separator makes it a path, read where it is (and absent)


def test_break_modes_change_only_the_fix(scenario):
    errors_fix = scenario.fix_release("errors")
    assert errors_fix.version == scenario.releases.fix.version
    assert errors_fix.tool_schema != scenario.releases.fix.tool_schema
    assert scenario.on_call("no-mitigation").mitigate is False
    with pytest.raises(BadInput, match="does not support"):
        scenario.check_break_mode("tornado")


def test_a_failover_change_is_a_config_change_both_ways(scenario):
    """The trace shows a manual failover by leaving it out; comparing two releases still sees it switch either way."""
    good, bad = scenario.releases.last_good, scenario.releases.bad
    assert "provider_failover" not in good.config() and good.config(every_field=True)["provider_failover"] == "manual"
    auto = bad.model_copy(update={"provider_failover": "auto"})
    assert auto.changes_from(good) == [*bad.changes_from(good), ("provider_failover", "manual", "auto")]
    assert ("tool_schema", good.tool_schema, bad.tool_schema) in bad.changes_from(good)
    assert good.changes_from(auto)[-1] == ("provider_failover", "auto", "manual")
    assert good.changes_from(good) == []


def test_a_bad_release_that_also_switches_failover_reaches_the_postmortem(scenario):
    from oncall.shift import run_shift

    bad = scenario.releases.bad.model_copy(update={"provider_failover": "auto"})
    switched = scenario.model_copy(update={"releases": scenario.releases.model_copy(update={"bad": bad})})
    record = run_shift(switched, seed=3)
    postmortem = record.artifacts["postmortem.md"]
    assert "tool_schema orders-v3 -> orders-v4, provider_failover manual -> auto against" in postmortem
    assert "changes prompt, tool_schema, provider_failover before it takes 100 %" in postmortem
    step = next(e for e in record.trace.of_kind("runbook.step") if "vs last good" in e.message)
    assert step.message.endswith("provider_failover manual -> auto")


def test_with_faults_keeps_the_others_and_validates(scenario):
    import pydantic

    once = scenario.with_faults(rollback_failures=1)
    twice = once.with_faults(pager_unacknowledged=True)
    assert (twice.faults.rollback_failures, twice.faults.pager_unacknowledged) == (1, True)
    assert scenario.faults.rollback_failures == 0 and once.releases == scenario.releases
    with pytest.raises(pydantic.ValidationError, match="rollback_failure"):
        scenario.with_faults(rollback_failure=1)
    with pytest.raises(pydantic.ValidationError):
        scenario.with_faults(rollback_failures=-1)
