"""Runbooks as data: the shipped one is complete, and a broken one gets one clear line."""
import pytest

from oncall.errors import BadInput
from oncall.incident_response.runbooks import all_runbooks, load_runbook, parse_runbook

GOOD = (load_runbook("bad-deploy-rollback").source, open("data/runbooks/bad-deploy-rollback.md").read())


def test_the_rollback_runbook():
    rb = load_runbook("bad-deploy-rollback")
    assert rb.action_step.action == "rollback" and rb.action_step.retries == 1
    assert rb.verify_step.slo == "availability" and rb.verify_step.within_objective_for_min == 10
    assert rb.matches("ErrorBudgetBurn", "availability", 7)
    assert not rb.matches("ErrorBudgetBurn", "availability", 500)      # no recent deploy: not this runbook
    assert not rb.matches("ErrorBudgetBurn", "quality", 7)
    assert all(r.id for r in all_runbooks())


@pytest.mark.parametrize("edit, field, words", [
    (("action: rollback", "action: pray"), "steps[3].action", "expected one of"),
    (("    slo: availability\n    within_objective_for_min: 10\n", ""), "steps[4].verify", "expected slo"),
    (("id: bad-deploy-rollback", "id: [unclosed"), "front matter", "not valid YAML"),
    (("title:", "colour: red\ntitle:"), "colour", "unknown field"),
    (("    check: config_diff", "    check: vibes"), "steps[2].check", "expected one of"),
])
def test_bad_runbooks(edit, field, words):
    where, text = GOOD
    broken = text.replace(edit[0], edit[1], 1)
    assert broken != text
    with pytest.raises(BadInput) as err:
        parse_runbook(broken, "my-runbook.md")
    assert err.value.where == "my-runbook.md" and words in err.value.expected
    assert field in (err.value.field or "")


def test_no_front_matter():
    with pytest.raises(BadInput, match="front matter"):
        parse_runbook("# just prose", "x.md")
