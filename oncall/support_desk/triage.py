"""Ticket triage and linking (course module M32: support desk and AIOps), split in two:

- ``tickets``: the queue model: tickets, incidents, the service words, reading and validating them, the truth
  and ``measure``;
- ``rules``: the desk's decisions: categorise, link, prioritise, route, dedup, and the first answers.

This module keeps the old import paths (``from oncall.support_desk.triage import ...``); the ``oncall triage``
command's engine, ``run_triage``, is in ``oncall/commands/triage.py``.
"""
from __future__ import annotations

from .rules import *  # noqa: F401,F403
from .rules import (_aggregate_duplicates, _category, _cosine, _found, _mentions, _pattern,  # noqa: F401
                    _phrases, _priority, _team, _Vectors, triage_tickets, to_json)
from .tickets import *  # noqa: F401,F403
from .tickets import (_json_lines, _lines, _pairs, _utc, incidents_from_record, load_incidents,  # noqa: F401
                      load_tickets)
