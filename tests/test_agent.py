"""The assistant answers deterministically: a broken tool schema fails tool questions, a stale index is wrong."""
from datetime import datetime, timezone

from oncall.service.agent import FAILURE_TEXT, answer, classify


def test_intents():
    assert classify("Please refund order A1001") == "refund"
    assert classify("Where is my order A1002?") == "order_lookup"
    assert classify("How long do refunds take?") == "kb_question"


def test_bad_release_fails_refunds_and_the_fix_does_not(scenario):
    q = "Please refund order A1001"
    assert answer(q, scenario.releases.bad).error == "tool"
    assert answer(q, scenario.releases.bad).text == FAILURE_TEXT
    good = answer(q, scenario.releases.fix)
    assert good.error is None and "Refund issued" in good.text
    assert answer("Where is my order A1002?", scenario.releases.bad).text == "Order A1002 is shipped."


def test_the_errors_break_mode_fails_lookups(scenario):
    assert answer("Where is my order A1002?", scenario.fix_release("errors")).error == "tool"


def test_stale_index_serves_the_previous_fact(scenario):
    q = "How many days do I have to get a refund after delivery?"
    fresh = answer(q, scenario.releases.last_good, index_built=datetime(2026, 11, 26, 2, tzinfo=timezone.utc))
    stale = answer(q, scenario.releases.last_good, index_built=datetime(2026, 11, 20, 2, tzinfo=timezone.utc))
    assert fresh.sources == ("refund-policy",) and "30 days" in fresh.text
    assert "14 days" in stale.text
