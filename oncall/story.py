"""The numbered story: the trace as a learner reads it, one line per event, long runs folded."""
from __future__ import annotations

import re
import textwrap

from .trace import MODULES, Event

FOLD_AT = 4  # a run of this many events of one kind in a row prints as one line

_NOUNS = {"alert.fired": "alerts fired", "alert.resolved": "alerts resolved", "gate.check": "gate checks",
          "ticket.received": "tickets received", "canary.interval": "canary intervals"}


def _line(seq: str, when: str, event: Event, message: str) -> str:
    return f"{seq:>9}  {when}  {event.module}  {event.phase:<8}  {event.kind:<20}  {message}"


def _family(event: Event) -> str:
    """Events folded together: alerts firing and resolving interleave, so they fold as one family."""
    return "alert" if event.kind.startswith("alert.") else event.kind


def story_lines(events: list[Event], fold: bool = True) -> list[str]:
    """One line per event: seq, time (UTC), course module, phase, kind, message; runs of one kind folded.

    Gate checks and skipped phases are never folded: each is a verdict the learner must see.
    """
    lines: list[str] = []
    i = 0
    while i < len(events):
        j = i
        while j + 1 < len(events) and _family(events[j + 1]) == _family(events[i]):
            j += 1
        run = events[i:j + 1]
        if fold and len(run) >= FOLD_AT and events[i].kind not in ("gate.check", "phase.skipped"):
            first, last = run[0], run[-1]
            minutes = max(1, round((last.t - first.t).total_seconds() / 60))
            if _family(first) == "alert":
                fired = sum(e.kind == "alert.fired" for e in run)
                counts = " and ".join(part for part in (f"{fired} alerts fired" if fired else "",
                                                        f"{len(run) - fired} resolved" if len(run) - fired else "") if part)
                text = f"{counts} in {minutes} min (first: {first.message})"
            else:
                text = f"{len(run)} {_NOUNS.get(first.kind, f'{first.kind} events')} in {minutes} min (first: {first.message})"
            lines.append(_line(f"{first.seq}-{last.seq}", first.t.strftime("%m-%d %H:%M"), first, text))
        else:
            for event in run:
                lines.append(_line(str(event.seq), event.t.strftime("%m-%d %H:%M"), event, event.message))
        i = j + 1
    return lines


# The key events of a shift, in the order a learner tells it: deploy, degradation, page, ack, mitigation, resolve,
# postmortem, canary, gate. Events about an incident are kept only for the incident that was paged.
KEY_KINDS = ("release.deployed", "sli.degraded", "sli.recovered", "provider.degraded", "index.build_failed",
             "incident.opened", "page.sent", "page.escalated", "incident.acknowledged", "release.rolled_back", "provider.failed_over", "index.rebuilt",
             "incident.mitigated", "incident.resolved", "postmortem.written", "eval.regression_added", "eval.gated",
             "canary.verdict", "phase.skipped")


def key_events(events: list[Event]) -> list[Event]:
    """The story's spine: KEY_KINDS (for the paged incident, when one was paged) and every gate check that failed."""
    paged = {e.refs.get("incident") for e in events if e.kind == "page.sent"}

    def key(e: Event) -> bool:
        if e.kind == "gate.check":
            return not e.refs.get("passed", True)
        if e.kind not in KEY_KINDS:
            return False
        return not paged or "incident" not in e.refs or e.refs["incident"] in paged
    return [e for e in events if key(e)]


def summary_lines(events: list[Event]) -> list[str]:
    """The key events, one line each, and a line saying what was left out and how to see it."""
    keys = key_events(events)
    lines = [_line(str(e.seq), e.t.strftime("%m-%d %H:%M"), e, e.message) for e in keys]
    return lines + ["", f"{len(keys)} key events of {len(events)} (alerts, tickets, runbook steps and canary "
                        "intervals left out): `oncall drill --full` prints the whole story, `--no-fold` every event."]


def header(scenario, seed: int, break_mode: str) -> list[str]:
    shift = scenario.shift
    legend = "; ".join(f"{tag} {name}" for tag, name in MODULES.items())
    return [f"On-call shift: {scenario.title} (scenario {scenario.name}, seed {seed}, break {break_mode})",
            f"Shift {shift.start:%Y-%m-%d %H:%M} to {shift.end:%Y-%m-%d %H:%M} UTC. Modules: {legend}.", ""]


def verdict_lines(card: dict) -> list[str]:
    checks = card["checks"]
    passed = sum(c["passed"] for c in checks)
    not_run = sum(str(c["detail"]).startswith("not run") for c in checks)
    word = "GREEN" if card["passed"] else "RED"
    tail = f", {not_run} not run yet" if not_run else ""
    return ["", f"Gate {word}: {passed} of {len(checks)} checks passed{tail}."]


WIDTH = 100   # characters: what a notebook's output shows on a laptop without wrapping


def wrap(text: str, width: int = WIDTH) -> str:
    """Text with every line longer than ``width`` folded at spaces, the rest of it indented under where its last
    column starts (a story line's message, a table's last field) or four spaces in. JupyterLab breaks an
    over-long output line anywhere, mid-word; this breaks it between words. A single word longer than the room
    (a URL, a query) stays whole."""
    glue = "\x1f"     # a number and its unit stay on one line ("100 %", "60 min")
    text = re.sub(r"(\d) (%|min|ms|s|h|x|points)(?![\w])", lambda m: m.group(1) + glue + m.group(2), str(text))
    out = []
    for line in text.split("\n"):
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        starts = [m.end() for m in re.finditer(r"\S( {2,})(?=\S)", line) if m.end() <= width * 0.7]
        if starts:          # a table's line: the rest under its last column
            head, hang = line[:starts[-1]], " " * starts[-1]
        else:               # a paragraph: the rest four spaces in
            head, hang = line[:lead], " " * (lead + 4)
        out += textwrap.wrap(line[len(head):], width, initial_indent=head, subsequent_indent=hang,
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(out).replace(glue, " ")
