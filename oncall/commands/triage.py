"""``oncall triage``: tickets triaged and linked to incidents, given or from a scenario's shift (M32)."""
from __future__ import annotations

from ..errors import BadInput
from ..scenario import load_scenario
from ..shift import run_shift
from ..support_desk.triage import incidents_from_record, load_incidents, load_tickets, to_json, triage_tickets


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
        record = run_shift(load_scenario(scenario), seed)
        incidents = incidents_from_record(record)
    else:
        incidents = []
    return to_json(triage_tickets(tickets, incidents), incidents)
