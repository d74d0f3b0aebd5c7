"""The shift's trace: every step emits events; they are numbered after merging all phases by simulated time.

Each event has seq (1..N), t (ISO 8601 UTC), module (M26/M27/M31/M32/M33), phase, kind (dotted), message (one
human sentence) and refs (ids). Ties in time keep the order in which they were emitted, so t never goes back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

MODULES = {
    "M26": "evals and the eval gate",
    "M27": "the agent being operated",
    "M31": "incident response",
    "M32": "support desk and AIOps",
    "M33": "data and release operations",
}
PHASES = ("detect", "triage", "mitigate", "learn", "ship", "gate")


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Event:
    t: datetime
    module: str
    phase: str
    kind: str
    message: str
    refs: dict = field(default_factory=dict)
    seq: int = 0

    def to_dict(self) -> dict:
        return {"seq": self.seq, "t": iso(self.t), "module": self.module, "phase": self.phase, "kind": self.kind,
                "message": self.message, "refs": self.refs}


class Trace:
    """Collects events from every phase; ``events`` returns them merged by time and numbered 1..N."""

    def __init__(self) -> None:
        self._emitted: list[Event] = []

    def emit(self, t: datetime, module: str, phase: str, kind: str, message: str, **refs) -> Event:
        if module not in MODULES:
            raise ValueError(f"unknown course module {module!r}")
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        event = Event(t=t.astimezone(timezone.utc), module=module, phase=phase, kind=kind, message=message,
                      refs={k: v for k, v in refs.items() if v is not None})
        self._emitted.append(event)
        return event

    def discard(self, events) -> None:
        """Take back events emitted earlier (a phase that decides again once later facts are known)."""
        gone = {id(e) for e in events}
        self._emitted = [e for e in self._emitted if id(e) not in gone]

    @property
    def events(self) -> list[Event]:
        ordered = sorted(self._emitted, key=lambda e: e.t)  # stable: ties keep emission order
        for seq, event in enumerate(ordered, start=1):
            event.seq = seq
        return ordered

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def to_jsonl(self) -> str:
        return "".join(json.dumps(e.to_dict(), sort_keys=False, ensure_ascii=False) + "\n" for e in self.events)

    def to_frame(self):
        import pandas as pd   # deferred on purpose: the trace is the package's floor, pandas a heavy library

        rows = [e.to_dict() for e in self.events]
        frame = pd.DataFrame(rows, columns=["seq", "t", "module", "phase", "kind", "message", "refs"])
        frame["t"] = pd.to_datetime(frame["t"], utc=True)
        return frame
