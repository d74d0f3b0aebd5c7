"""Move files: a game's moves as YAML, so an instructor can grade a class's games and CI can test them.

A move file is a list of moves (or a mapping whose ``moves`` is that list); each move is a mapping with ``move``
and its fields, and an optional ``think`` (minutes of hesitation before it):

    - {move: ack, think: 2}
    - {move: look, at: deploys}               # page, alerts, dashboards, deploys, provider, tickets, requests, evals
    - {move: severity, level: SEV-1}
    - {move: status, state: Investigating, text: "We are looking into failed answers."}
    - {move: roles, comms: Jo}                # who does comms (the incident commander comes from the paging policy)
    - {move: escalate}
    - {move: act, action: rollback}           # rollback, redeploy, roll_forward, failover, reindex, flag_off,
    - {move: act, action: wait, minutes: 10}  # restart, wait
    - {move: resolve}
    - {move: postmortem, root_cause: release-change, prevent: release-eval-gate, text: "..."}

A bad move is bad input: one line naming the file, the move's number and its field.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR
from .engine import ACTIONS, LOOKS, MAX_WAIT_MIN, SEVERITIES, STATES

MOVE_FIELDS: dict[str, dict[str, object]] = {
    "ack": {},
    "look": {"at": tuple(LOOKS)},
    "severity": {"level": SEVERITIES},
    "status": {"state": STATES, "text?": str},
    "roles": {"comms?": str},
    "escalate": {},
    "act": {"action": ACTIONS, "minutes?": "minutes"},
    "resolve": {},
    "postmortem": {"root_cause": "root_cause", "prevent": "prevent", "text?": str},
}


def postmortem_options() -> dict[str, list[dict]]:
    """The postmortem's choices (data/gameday/postmortem.yaml): ``root_causes`` and ``prevent``, each a list of
    ``id``, ``text`` and ``kinds`` (the cause kinds it names truly). The same list in every game."""
    with open(DATA_DIR / "gameday" / "postmortem.yaml", encoding="utf-8") as fh:
        return yamlsafe.safe_load(fh)


def check_moves(moves, where: str) -> list[dict]:
    """Check a list of moves; BadInput naming ``where``, the move's number (from 1) and the field."""
    if isinstance(moves, dict) and set(moves) == {"moves"}:
        moves = moves["moves"]
    if not isinstance(moves, list) or not moves:
        raise BadInput(where, "moves", "expected a non-empty list of moves (each a mapping with 'move')")
    options = postmortem_options()
    ids = {"root_cause": [o["id"] for o in options["root_causes"]], "prevent": [o["id"] for o in options["prevent"]]}
    out = []
    for n, move in enumerate(moves, start=1):
        at = f"move {n}"
        if not isinstance(move, dict):
            raise BadInput(where, at, f"expected a mapping with 'move', got {move!r}")
        kind = move.get("move")
        if kind not in MOVE_FIELDS:
            raise BadInput(where, f"{at}.move", f"expected one of {', '.join(MOVE_FIELDS)}, got {kind!r}")
        fields = MOVE_FIELDS[kind]
        allowed = {f.rstrip("?") for f in fields} | {"move", "think"}
        extra = sorted(set(move) - allowed)
        if extra:
            raise BadInput(where, f"{at}.{extra[0]}", f"not a field of a {kind} move (it has: "
                                                      f"{', '.join(sorted(allowed))})")
        think = move.get("think", 0)
        if isinstance(think, bool) or not isinstance(think, (int, float)) or not 0 <= think <= MAX_WAIT_MIN:
            raise BadInput(where, f"{at}.think", f"expected minutes from 0 to {MAX_WAIT_MIN}, got {think!r}")
        for name, expected in fields.items():
            optional = name.endswith("?")
            name = name.rstrip("?")
            if name not in move:
                if optional:
                    continue
                raise BadInput(where, f"{at}.{name}", f"missing: a {kind} move needs {name}")
            value = move[name]
            if expected is str:
                if not isinstance(value, str):
                    raise BadInput(where, f"{at}.{name}", f"expected text, got {value!r}")
            elif expected == "minutes":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= MAX_WAIT_MIN:
                    raise BadInput(where, f"{at}.{name}", f"expected minutes from 1 to {MAX_WAIT_MIN}, got {value!r}")
            elif expected in ids:
                if value not in ids[expected]:
                    raise BadInput(where, f"{at}.{name}", f"expected one of {', '.join(ids[expected])}, got {value!r}")
            elif value not in expected:
                raise BadInput(where, f"{at}.{name}", f"expected one of {', '.join(expected)}, got {value!r}")
        if n > 1 and moves[n - 2].get("move") == "postmortem":
            raise BadInput(where, f"move {n}.move", "nothing comes after the postmortem: it ends the game")
        if kind == "act" and "minutes" in move and move["action"] != "wait":
            raise BadInput(where, f"{at}.minutes", "only a wait takes minutes")
        out.append(dict(move))
    return out


def load_moves(path: str | Path) -> list[dict]:
    """Read and check a move file (YAML or JSON)."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(where, None, "no such move file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(where, None, f"cannot read it ({exc})") from None
    try:
        data = yamlsafe.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BadInput(where, f"line {mark.line + 1}" if mark else None, "not valid YAML") from None
    return check_moves(data, where)


def scripted_moves(scenario_name: str) -> Path:
    """The scripted on-call's move file for a library scenario (data/gameday/moves/NAME.yaml)."""
    return DATA_DIR / "gameday" / "moves" / f"{scenario_name}.yaml"
