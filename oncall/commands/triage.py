"""``oncall triage``: tickets triaged and linked to incidents, given, correlated from a storm, or from a scenario's
shift (M32)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import BadInput
from ..scenario import load_scenario
from ..shift import run_shift
from ..support_desk.triage import (incidents_from_json, incidents_from_record, load_incidents, load_tickets, texts_of,
                                   to_json, triage_tickets)


def run_triage(tickets_path, incidents_path=None, scenario=None, seed=None, storm_path=None,
               tiers_path=None, linker: str = "rules") -> dict:
    """``oncall triage FILE [--incidents FILE | --storm FILE | --scenario S --seed N]``: the ``triage --json`` object.

    Incidents come from ``incidents_path`` (a list of incidents, or ``oncall correlate --json``), else from
    ``storm_path`` (Alertmanager webhook payloads, correlated here as ``oncall correlate`` does, each incident
    carrying its alerts' names and summaries as its text), else from the whole shift of ``scenario`` (a NAME or
    PATH) at ``seed``, else there are none (triage without linking). ``tiers_path``: the desk's own tier mapping
    (as ``data/tickets/tiers.yaml``). ``linker``: "rules" or "learned" (``support_desk.learned``).
    """
    if sum(x is not None for x in (incidents_path, scenario, storm_path)) > 1:
        raise BadInput("--incidents", None, "give one of --incidents, --storm or --scenario")
    tickets = load_tickets(tickets_path, tiers=tiers_path)
    if incidents_path is not None:
        incidents = load_incidents(incidents_path)
    elif storm_path is not None:
        incidents = incidents_from_storm(storm_path)
    elif scenario is not None:
        record = run_shift(load_scenario(scenario), seed)
        incidents = incidents_from_record(record)
    else:
        incidents = []
    return to_json(triage_tickets(tickets, incidents, linker=linker), incidents)


def incidents_from_storm(path) -> list:
    """The incidents ``oncall correlate --json`` would open from a storm file (one webhook payload, a JSON list of
    them, or JSON Lines), with their alerts' names and summaries as their text. Bad input: BadInput naming the
    file (and the line or field)."""
    from ..support_desk.alerts import parse_file
    from ..support_desk.correlate import correlate, load_alerting_config, load_topology, to_json as corr_json

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(str(path), None, f"cannot read it ({exc.strerror or exc})") from None
    if not data.strip():
        raise BadInput(str(path), None, "empty: no alert payload at all (a failed export?); expected Alertmanager "
                                        "webhook payloads, one JSON object a line")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BadInput(str(path), f"line {line}", "not UTF-8 text (Alertmanager sends UTF-8 JSON)") from None
    frame = parse_file(path, str(path))
    doc = corr_json(correlate(frame, load_alerting_config(), load_topology()))
    texts = texts_of(frame)
    out = []
    for inc, row in zip(incidents_from_json(doc, str(path)), doc["incidents"]):
        said = [texts[fp] for fp in row.get("fingerprints") or [] if fp in texts]
        out.append(dataclasses.replace(inc, summary=". ".join(dict.fromkeys(said))) if said and not inc.summary
                   else inc)
    return out
