"""`oncall drill` prints the story's key events and the verdict first; the whole story only with --full."""
import re

from oncall.cli import main


def _kinds(out: str) -> list[str]:
    return [line.split()[5] for line in out.splitlines() if line[:9].strip().replace("-", "").isdigit()]


def test_drill_prints_the_key_events_and_the_verdict(capsys):
    assert main(["drill", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    kinds = _kinds(out)
    for kind in ("release.deployed", "page.sent", "incident.acknowledged", "release.rolled_back",
                 "incident.mitigated", "incident.resolved", "canary.verdict"):
        assert kind in kinds, kind
    assert not {"alert.fired", "alert.resolved", "ticket.received", "canary.interval"} & set(kinds)
    assert len(out.splitlines()) < 30, "a summary, not the whole story"
    assert re.search(r"\nGate GREEN: (\d+) of \1 checks passed\.$", out.rstrip())
    assert "--full" in out
    # every incident event is about the paged incident
    assert {line.split("INC-")[1][:4] for line in out.splitlines() if "incident." in line} == {"0005"}


def test_a_red_gate_names_its_failing_checks(capsys):
    assert main(["drill", "--seed", "7", "--break", "no-mitigation"]) == 1
    out = capsys.readouterr().out
    assert "Check sli_recovered: FAIL" in out and "Check page_fired" not in out   # failing checks only
    assert "Gate RED" in out


def test_full_prints_the_whole_story(capsys):
    assert main(["drill", "--seed", "7", "--full"]) == 0
    full = capsys.readouterr().out
    assert "alert.fired" in _kinds(full) and "gate.check" in _kinds(full) and "key events" not in full
    assert main(["drill", "--seed", "7", "--no-fold"]) == 0
    every = capsys.readouterr().out
    assert len(every.splitlines()) > len(full.splitlines()) > 100
