"""Learn: a complete, blameless postmortem from the record, and a regression case red on bad, green on fix."""
import re

import yaml

from oncall.incident_response.postmortem import SECTIONS, missing_sections, placeholders
from oncall.shift import run_shift


def test_the_postmortem_is_complete_and_cites_the_trace(shift):
    md = shift.artifacts["postmortem.md"]
    assert missing_sections(md) == [] and placeholders(md) == []
    for name in SECTIONS:
        assert f"## {name}\n" in md
    seqs = {e.seq: e for e in shift.trace.events}
    for cited in re.findall(r"trace #(\d+)", md):
        assert int(cited) in seqs                         # every cited seq is a real event
    deploy = next(e for e in shift.trace.of_kind("release.deployed") if e.refs["release"] == shift.scenario.releases.bad.version)
    assert f"trace #{deploy.seq}" in md
    assert "| prevent |" in md and "| process |" in md and "| mitigate |" in md
    timeline = re.findall(r"^\| (\d+) \| (\d\d:\d\d) \|", md, re.M)
    assert timeline, "the timeline table: one row per cited event, '| seq | HH:MM |'"
    for row in timeline:
        assert seqs[int(row[0])].t.strftime("%H:%M") == row[1]


def test_the_regression_case_is_red_on_bad_and_green_on_good_and_fix(shift):
    results = shift.regression_results
    assert not results["bad"].passed and results["last_good"].passed and results["fix"].passed
    name = shift.regression_name
    doc = yaml.safe_load(shift.artifacts[f"regressions/{name}"])
    text = yaml.safe_dump(doc)
    for release in shift.scenario.releases.model_dump().values():
        assert release["version"] not in text               # a case never names a release
    assert {c["id"] for c in doc["cases"]} >= {f"{shift.paged_incident.lower()}-issue-refund-contract"}


def test_the_errors_break_turns_the_regression_check_red(scenario):
    record = run_shift(scenario, 7, break_mode="errors")
    checks = {c.name: c for c in record.checks}
    assert not checks["regression_case_red_green"].passed
    assert not record.regression_results["fix"].passed
