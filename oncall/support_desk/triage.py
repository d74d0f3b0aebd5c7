"""Ticket triage and linking (course module M32: support desk and AIOps), split in two:

- ``tickets``: the queue model: tickets, incidents, the service words, reading and validating them, the truth
  and ``measure``;
- ``rules``: the desk's decisions: categorise, link, prioritise, route, dedup, and the first answers.

This module keeps the old import paths (``from oncall.support_desk.triage import ...``) and ``run_triage``, the
``oncall triage`` command's engine.
"""
from __future__ import annotations

from ..errors import BadInput
from .rules import *  # noqa: F401,F403
from .rules import (_aggregate_duplicates, _category, _cosine, _found, _mentions, _pattern,  # noqa: F401
                    _phrases, _priority, _team, _Vectors, triage_tickets, to_json)
from .tickets import *  # noqa: F401,F403
from .tickets import (_json_lines, _lines, _pairs, _utc, incidents_from_record, load_incidents,  # noqa: F401
                      load_tickets)


def run_triage(tickets_path, incidents_path=None, scenario=None, seed=None) -> dict:
    """``oncall triage FILE [--incidents FILE | --scenario S --seed N]``: the ``triage --json`` object.

    Incidents come from ``incidents_path`` (a list of incidents, or ``oncall correlate --json``), else from the
    whole shift of ``scenario`` (a NAME or PATH) at ``seed``, else there are none (triage without linking).
    """
    tickets = load_tickets(tickets_path)
    if incidents_path is not None and scenario is not None:
        raise BadInput("--incidents", None, "give either --incidents or --scenario, not both")
    if incidents_path is not None:
        incidents = load_incidents(incidents_path)
    elif scenario is not None:
        from ..scenario import load_scenario
        from ..shift import run_shift

        record = run_shift(load_scenario(scenario), seed)
        incidents = incidents_from_record(record)
    else:
        incidents = []
    return to_json(triage_tickets(tickets, incidents), incidents)

