"""Cause kinds (one module each): everything that differs between kinds of incident lives here.

``REGISTRY`` maps a scenario's ``cause.kind`` to its class; ``cause_of(scenario)`` binds the scenario's. A new
kind is one module here (a ``CauseKind`` subclass, added to ``REGISTRY``) plus data: its scenario, runbook, SLOs
and tickets (the README's "Add your own incident" lists the files).
"""
from __future__ import annotations

from ..scenario_model import Scenario
from .base import Action, CauseKind
from .deploy import Deploy
from .provider_outage import ProviderOutage
from .stale_index import StaleIndex

REGISTRY: dict[str, type[CauseKind]] = {k.kind: k for k in (Deploy, StaleIndex, ProviderOutage)}
DEFAULT_KIND = Deploy.kind   # a scenario without a ``cause`` is a bad deploy

# Every on-call action, by name: the kinds' own, then those that change nothing (restart, wait).
ACTIONS: dict[str, Action] = {a.name: a for k in REGISTRY.values() for a in k.actions}
# The trace kinds by which release and data operations (M33) act on an incident: roll back, reindex, fail over.
M33_ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(e for a in ACTIONS.values() for e in a.m33_events))
# The trace kinds that mark a cause in the plots, and each marker's word.
CAUSE_EVENTS: tuple[str, ...] = tuple(e for k in REGISTRY.values() for e in k.cause_events)
MARKER_WORDS: dict[str, str] = {e: w for k in REGISTRY.values() for e, w in k.markers.items()}


def kind_of(scenario: Scenario) -> type[CauseKind]:
    """The class of the scenario's cause kind (KeyError for a kind no module defines: the loader checks it)."""
    return REGISTRY[scenario.cause.kind or DEFAULT_KIND]


def cause_of(scenario: Scenario) -> CauseKind:
    """The scenario's cause, bound to it."""
    return kind_of(scenario)(scenario)


def expected_kinds() -> str:
    """The known kinds as a sentence's list: 'a', 'b' or 'c'."""
    names = [repr(k) for k in REGISTRY]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def action_title_word(events_by_kind: dict) -> str:
    """The word for what mitigated an incident, in a plot's title, from its trace events by kind: the action of
    the highest-ranked effect it has ("rollback", "reindex", ...), else "action"."""
    for action in sorted(ACTIONS.values(), key=lambda a: a.title_rank):
        if action.title_event in events_by_kind and action.title_word is not None:
            return action.title_word(events_by_kind[action.title_event])
    return "action"


__all__ = ["ACTIONS", "Action", "CAUSE_EVENTS", "CauseKind", "DEFAULT_KIND", "M33_ACTIONS", "MARKER_WORDS",
           "REGISTRY", "action_title_word", "cause_of", "expected_kinds", "kind_of"]
