"""The console's status line says who stopped the bleeding: the on-call's runbook, or only the fix's roll-forward."""
from oncall.scenario import load_scenario
from oncall.shift import run_shift, scorecard
from oncall.widgets.console import status_html


def _status(break_mode: str) -> str:
    record = run_shift(load_scenario("bad-deploy"), seed=7, break_mode=break_mode)
    return status_html(record, scorecard(record))


def test_a_rollback_is_the_on_calls_mitigation():
    status = _status("none")
    assert "mitigated after 18.0 min" in status and "never" not in status


def test_with_no_mitigation_the_on_call_never_mitigated_though_the_fix_rolled_forward():
    status = _status("no-mitigation")
    assert "the on-call never mitigated" in status and "roll-forward did after 290.0 min" in status
