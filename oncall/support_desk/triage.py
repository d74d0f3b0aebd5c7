"""Ticket triage and linking (course module M32: support desk and AIOps).

Users notice an outage before the dashboards do, in their own words ("the bot keeps failing on my refund").
The desk reads each ticket of a queue (JSON Lines: ``id``, ``created_at``, ``text``, optional ``customer_tier``)
and decides, each with the reason that decided it:

1. category: outage, bug, how-to, billing, feature request or other, from the ticket's words;
2. link: a ticket reporting a failure is linked to an incident when it was created while the incident was open
   (from ``LEAD_MIN`` before it opened, users are faster than correlators, to ``GRACE_MIN`` after it resolved),
   it names one of the incident's services or features (through ``data/tickets/services.yaml``), and it reads
   like the incident: a feature word of one of the incident's components, or a TF-IDF cosine similarity
   (scikit-learn) against the incident's description of at least ``MIN_SIMILARITY``;
3. priority P1-P4 from the category, impact words, the customer's tier and whether an incident is open;
4. the team it routes to;
5. duplicates: the tickets linked to one incident aggregate under its first ticket; other tickets that say the
   same thing (TF-IDF cosine at least ``DUP_SIMILARITY``, same category, within ``DUP_WINDOW_H``) under the
   earliest one.

``measure`` scores the links and duplicates against ground truth kept apart from the queue, beside a naive
baseline (link every ticket created while the incident is open). Pure except the ``load_*`` helpers and
``run_triage`` (the ``oncall triage`` command's engine).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, display

CATEGORIES = ("outage", "bug", "how-to", "billing", "feature request", "other")
TIERS = ("free", "pro", "enterprise")
PRIORITIES = ("P1", "P2", "P3", "P4")

LEAD_MIN = 15          # a ticket may arrive before the correlator opens the incident (the users saw it first)
GRACE_MIN = 60         # ... or shortly after it resolved ("it failed earlier tonight")
MIN_SIMILARITY = 0.2   # TF-IDF cosine against the incident's description, when no feature word matches
DUP_SIMILARITY = 0.5   # TF-IDF cosine between two tickets that say the same thing
DUP_WINDOW_H = 24

# Words a user reports a failure with. "Slow" or "wrong" is a bug, not a failure; "couldn't tell me" is not
# an error either, so only phrases that mean "it broke" count.
FAILURE_WORDS = (r"errors?", r"errored", r"errors out", r"broken", r"down", r"fail(s|ed|ing|ure)?",
                 r"not working", r"doesn'?t work", r"won'?t (process|work|load)", r"went wrong", r"crash\w*",
                 r"5\d\d", r"outage", r"unavailable",
                 # an AI service also fails by answering wrongly: stale or made-up facts
                 r"outdated", r"out of date", r"old (policy|information|info|answer)", r"wrong (answer|info\w*)",
                 r"incorrect (answer|info\w*)")
BUG_WORDS = (r"wrong", r"incorrect", r"slow", r"stopped", r"keeps asking", r"hidden", r"doesn'?t \w+",
             r"cut off", r"missing", r"glitch", r"broken", r"errors?")
BILLING_WORDS = (r"charged?", r"invoices?", r"billing", r"subscription", r"plan", r"card", r"payments?", r"vat",
                 r"declined", r"receipt")
FEATURE_WORDS = (r"would love", r"please add", r"add", r"please let", r"could the \w+ (remember|support|add)",
                 r"feature", r"would be nice", r"wish", r"suggestion")
HOWTO_WORDS = (r"how (do|can|long|much)", r"can i", r"is the \w+ able", r"where (do|can) i", r"what", r"when",
               r"which", r"do i", r"is there")
IMPACT_WORDS = (r"urgent(ly)?", r"block(ing|er|ed)", r"escalate", r"asap", r"every", r"everyone", r"all (our|of)",
                r"customers", r"lost", r"production")

TEAMS = {"outage": "on-call", "bug": "engineering", "how-to": "support", "billing": "billing",
         "feature request": "product", "other": "support"}
BASE_PRIORITY = {"outage": 2, "bug": 3, "billing": 3, "how-to": 4, "feature request": 4, "other": 4}
HIGH_SEVERITIES = ("SEV-1", "SEV-2")


def _pattern(words) -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(words) + r")(?![\w-])", re.IGNORECASE)


_FAILURE, _BUG, _BILLING = _pattern(FAILURE_WORDS), _pattern(BUG_WORDS), _pattern(BILLING_WORDS)
_FEATURE, _HOWTO, _IMPACT = _pattern(FEATURE_WORDS), _pattern(HOWTO_WORDS), _pattern(IMPACT_WORDS)


# ---------------------------------------------------------------- data

@dataclass(frozen=True)
class Ticket:
    id: str
    created_at: datetime        # UTC
    text: str
    customer_tier: str | None = None


@dataclass(frozen=True)
class IncidentInfo:
    """What the desk knows of an incident: when it was open, what it touches, and what it says."""

    id: str
    opened_at: datetime
    resolved_at: datetime | None
    services: tuple[str, ...]
    components: tuple[str, ...]
    summary: str = ""
    severity: str | None = None

    def open_at(self, when: datetime, lead_min: float = LEAD_MIN, grace_min: float = GRACE_MIN) -> bool:
        """Whether a ticket created at ``when`` falls in the incident's linking window (None resolved: open)."""
        if when < self.opened_at - timedelta(minutes=lead_min):
            return False
        return self.resolved_at is None or when <= self.resolved_at + timedelta(minutes=grace_min)


@dataclass
class Triage:
    """The desk's decision on one ticket, with the reason for each part of it."""

    ticket: Ticket
    category: str
    priority: str
    team: str
    linked_incident: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None          # TF-IDF cosine to the linked incident's description
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.ticket.id

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons[k] for k in ("category", "link", "priority", "team", "duplicate")
                         if k in self.reasons)

    def to_dict(self) -> dict:
        return {"id": self.id, "category": self.category, "priority": self.priority, "team": self.team,
                "linked_incident": self.linked_incident, "duplicate_of": self.duplicate_of, "reason": self.reason}


@dataclass(frozen=True)
class ServiceWords:
    """The words users call each service, and each of its components' features, by."""

    services: dict[str, tuple[str, ...]]
    features: dict[str, dict[str, tuple[str, ...]]]   # service -> component -> words

    def words_for(self, services, components) -> list[str]:
        out = []
        for s in services:
            out += list(self.services.get(s, ()))
            for c in components:
                out += list(self.features.get(s, {}).get(c, ()))
        return out


# ---------------------------------------------------------------- reading and validation

def _utc(value, where: str, field_name: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(where, field_name, f"expected an ISO 8601 time like 2026-11-27T01:33:00Z, got {value!r}")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(where, field_name, f"expected an ISO 8601 time like 2026-11-27T01:33:00Z, got {value!r}") from None
    if when.tzinfo is None:
        raise BadInput(where, field_name, f"expected a time with its UTC offset (e.g. ending in Z), got {value!r}")
    try:
        return when.astimezone(timezone.utc)
    except OverflowError:
        raise BadInput(where, field_name, f"expected a time between the years 1 and 9999 in UTC, got {value!r}") from None


def _lines(path: str | Path) -> tuple[str, list[str]]:
    where = display(Path(path))
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(where, None, f"cannot read it ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInput(f"{where}: line {line}", None, "not UTF-8 text (export the tickets as UTF-8 JSON Lines)") from None
    return where, text.splitlines()


def _json_lines(lines: list[str], where: str):
    """(line number, "FILE: line N", object) for each non-blank line; BadInput for a line that is not one object."""
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        at = f"{where}: line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(at, None, f"not a JSON object ({exc.msg})") from None
        except RecursionError:
            raise BadInput(at, None, "not a JSON object we can read (nested too deeply)") from None
        if not isinstance(row, dict):
            raise BadInput(at, None, "expected one JSON object per line")
        yield n, at, row


def parse_tickets(lines: list[str], where: str = "<tickets>") -> list[Ticket]:
    """JSON Lines -> tickets, sorted by creation time (then id). Blank lines are skipped; a bad line raises
    BadInput naming the file, the line and the field."""
    tickets, seen = [], {}
    for n, at, row in _json_lines(lines, where):
        for name in ("id", "created_at", "text"):
            if name not in row:
                raise BadInput(at, name, "missing (every ticket needs id, created_at and text)")
        tid = row["id"]
        if not isinstance(tid, (str, int)) or isinstance(tid, bool) or not str(tid).strip():
            raise BadInput(at, "id", f"expected a non-empty string, got {tid!r}")
        tid = str(tid)
        if tid in seen:
            raise BadInput(at, "id", f"{tid!r} already used on line {seen[tid]}")
        seen[tid] = n
        if not isinstance(row["text"], str):
            raise BadInput(at, "text", f"expected a string, got {type(row['text']).__name__}")
        tier = row.get("customer_tier")
        if tier is not None and tier not in TIERS:
            raise BadInput(at, "customer_tier", f"expected one of {', '.join(TIERS)}, got {tier!r}")
        tickets.append(Ticket(tid, _utc(row["created_at"], at, "created_at"), row["text"], tier))
    return sorted(tickets, key=lambda t: (t.created_at, t.id))


def load_tickets(path: str | Path) -> list[Ticket]:
    """Read and validate a ticket file (JSON Lines, UTF-8)."""
    where, lines = _lines(path)
    return parse_tickets(lines, where)


def load_truth(path: str | Path) -> dict[str, dict]:
    """Ground truth, kept apart from the queue: ``id`` -> {category, about_outage, duplicate_of}."""
    where, lines = _lines(path)
    truth = {}
    for _n, at, row in _json_lines(lines, where):
        for name in ("id", "category", "about_outage", "duplicate_of"):
            if name not in row:
                raise BadInput(at, name, "missing")
        if row["category"] not in CATEGORIES:
            raise BadInput(at, "category", f"expected one of {', '.join(CATEGORIES)}, got {row['category']!r}")
        if not isinstance(row["about_outage"], bool):
            raise BadInput(at, "about_outage", f"expected true or false, got {row['about_outage']!r}")
        truth[str(row["id"])] = row
    return truth


def incidents_from_json(doc, where: str = "<incidents>") -> list[IncidentInfo]:
    """Incidents from a list of dicts (``id``, ``opened_at``, ``resolved_at`` or null, ``services``,
    ``components``, ``summary``, optional ``severity``), or from ``oncall correlate --json`` (its ``incidents``,
    with ``first_at``, and ``last_at`` as the resolution time when ``status`` is resolved)."""
    rows = doc.get("incidents") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise BadInput(where, "incidents", "expected a list of incidents (or the JSON of oncall correlate --json)")
    out = []
    for i, row in enumerate(rows):
        at = f"{where}: incidents[{i}]"
        if not isinstance(row, dict) or "id" not in row:
            raise BadInput(at, "id", "missing")
        opened = row.get("opened_at", row.get("first_at"))
        if opened is None:
            raise BadInput(at, "opened_at", "missing (or first_at, as oncall correlate --json writes it)")
        resolved = row.get("resolved_at")
        if "resolved_at" not in row and row.get("status") == "resolved":
            resolved = row.get("last_at")
        for name in ("services", "components"):
            if not isinstance(row.get(name, []), list):
                raise BadInput(at, name, "expected a list of names")
        out.append(IncidentInfo(
            id=str(row["id"]), opened_at=_utc(opened, at, "opened_at"),
            resolved_at=None if resolved is None else _utc(resolved, at, "resolved_at"),
            services=tuple(str(s) for s in row.get("services", []) if s),
            components=tuple(str(c) for c in row.get("components", []) if c),
            summary=str(row.get("summary") or ""), severity=row.get("severity")))
    return out


def load_incidents(path: str | Path) -> list[IncidentInfo]:
    where = display(Path(path))
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(where, None, f"cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    except json.JSONDecodeError as exc:
        raise BadInput(where, None, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise BadInput(where, None, "not JSON we can read (nested too deeply)") from None
    return incidents_from_json(doc, where)


@lru_cache(maxsize=4)
def load_service_words(path: str | None = None) -> ServiceWords:
    """The service catalog of user words, ``data/tickets/services.yaml``."""
    file = Path(path) if path else DATA_DIR / "tickets" / "services.yaml"
    where = display(file)
    try:
        doc = yamlsafe.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(where, None, f"cannot read it ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        raise BadInput(where, "services", "expected a mapping of service -> words and components")
    services, features = {}, {}
    for name, node in doc["services"].items():
        if not isinstance(node, dict) or not isinstance(node.get("words"), list):
            raise BadInput(where, f"services.{name}.words", "expected a list of words")
        services[name] = tuple(str(w).lower() for w in node["words"])
        comps = node.get("components") or {}
        if not isinstance(comps, dict):
            raise BadInput(where, f"services.{name}.components", "expected a mapping of component -> words")
        features[name] = {c: tuple(str(w).lower() for w in (ws or [])) for c, ws in comps.items()}
    return ServiceWords(services, features)


# ---------------------------------------------------------------- the rules

def _found(pattern: re.Pattern, text: str) -> list[str]:
    seen = []
    for m in pattern.finditer(text):
        word = m.group(0).lower()
        if word not in seen:
            seen.append(word)
    return seen


def _phrases(words, text: str) -> list[str]:
    return _found(_pattern([re.escape(w) for w in words]), text) if words else []


def describe_incident(incident: IncidentInfo, words: ServiceWords) -> str:
    """The text a ticket is compared with: the incident's summary (its alerts' annotations and the page), its
    services and components, and the words users call those by."""
    parts = [incident.summary, " ".join(incident.services), " ".join(incident.components)]
    parts += words.words_for(incident.services, incident.components)
    return " ".join(p for p in parts if p)


def _mentions(text: str, words: ServiceWords) -> dict[str, list[str]]:
    """service -> the words of the ticket that name it or one of its features."""
    out = {}
    for service, names in words.services.items():
        hits = _phrases(names, text)
        for comp_words in words.features.get(service, {}).values():
            hits += [w for w in _phrases(comp_words, text) if w not in hits]
        if hits:
            out[service] = hits
    return out


def _category(text: str, names_service: bool) -> tuple[str, str]:
    """The category the words say, before linking (a failure report becomes outage once linked, else bug).

    A failure counts only when the ticket names one of our services or features: "a broken blender" is a
    how-to about a warranty, not an outage."""
    if not text.strip():
        return "other", "empty ticket: needs a human to read it"
    rules = (("failure", _FAILURE, "reports a failure of a service we run"), ("billing", _BILLING, "billing words"),
             ("feature request", _FEATURE, "asks for something new"), ("how-to", _HOWTO, "asks how"),
             ("bug", _BUG, "something behaves wrongly"))
    for name, pattern, says in rules[0 if names_service else 1:]:
        hits = _found(pattern, text)
        if hits:
            return name, f"{says} ({', '.join(repr(h) for h in hits[:3])})"
    if "?" in text:
        return "how-to", "a question with no failure, billing or feature words"
    return "other", "no failure, billing, feature or how-to words"


def _priority(category: str, text: str, tier: str | None, linked: IncidentInfo | None,
              service_incident_open: bool, failure: bool) -> tuple[str, str]:
    rank = BASE_PRIORITY[category]
    why = [f"{category} starts at P{rank}"]
    impact = _found(_IMPACT, text)
    if linked is not None and linked.severity in HIGH_SEVERITIES and (impact or tier == "enterprise"):
        rank -= 1
        why.append(f"{linked.id} is {linked.severity} and the customer is "
                   + ("enterprise" if tier == "enterprise" else f"hit hard ({', '.join(map(repr, impact[:2]))})"))
    else:
        if impact:
            rank -= 1
            why.append(f"impact words {', '.join(map(repr, impact[:2]))}")
        if tier == "enterprise":
            rank -= 1
            why.append("enterprise customer")
        if failure and linked is None and not service_incident_open:
            rank -= 1
            why.append("a failure with no incident open: maybe the first sign of one")
    rank = min(max(rank, 1), 4)
    return f"P{rank}", f"priority P{rank}: " + ", ".join(why)


def _team(category: str, linked: IncidentInfo | None, mentioned: dict) -> tuple[str, str]:
    if linked is not None:
        return "on-call", f"routed to on-call: linked to {linked.id}"
    team = TEAMS[category]
    if category == "bug" and mentioned:
        team = sorted(mentioned)[0]
        return team, f"routed to the {team} team: a bug in the service it owns"
    return team, f"routed to {team}: {category} tickets go there"


def _cosine(a, b):
    """Cosine similarity of the rows of a and b: TfidfVectorizer's rows are already L2-normalised (norm="l2"),
    so it is their dot product (what sklearn's cosine_similarity computes after normalising them again)."""
    return (a @ b.T).toarray()


class _Vectors:
    """TF-IDF over the queue's tickets and the incidents' descriptions, fitted once per triage run."""

    def __init__(self, tickets: list[str], incidents: list[str]):
        corpus = [t if t.strip() else "" for t in tickets] + incidents
        self.n = len(tickets)
        self.vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        try:
            self.matrix = self.vectorizer.fit_transform(corpus)
        except ValueError:   # every document empty or only stop words
            self.matrix = None

    def ticket_to_incident(self):
        if self.matrix is None or self.matrix.shape[0] == self.n:
            return None
        return _cosine(self.matrix[: self.n], self.matrix[self.n:])

    def ticket_to_ticket(self):
        return None if self.matrix is None else _cosine(self.matrix[: self.n], self.matrix[: self.n])


def triage_tickets(tickets: list[Ticket], incidents: list[IncidentInfo],
                   words: ServiceWords | None = None) -> list[Triage]:
    """Triage and link every ticket (in creation order); the same input gives the same output."""
    words = words or load_service_words()
    tickets = sorted(tickets, key=lambda t: (t.created_at, t.id))
    descriptions = [describe_incident(i, words) for i in incidents]
    vectors = _Vectors([t.text for t in tickets], descriptions)
    sims = vectors.ticket_to_incident()
    out = []
    for k, ticket in enumerate(tickets):
        text = ticket.text
        mentioned = _mentions(text, words) if text.strip() else {}
        kind, why_kind = _category(text, bool(mentioned))
        failure = kind == "failure"
        open_for_service = [i for i in incidents if set(i.services) & set(mentioned) and i.open_at(ticket.created_at)]
        linked, sim, why_link = None, None, None
        if failure:
            best = None
            for j, inc in enumerate(incidents):
                if inc not in open_for_service:
                    continue
                feature = [w for w in _phrases(words.words_for(inc.services, inc.components), text)
                           if w not in words.services.get(next(iter(set(inc.services) & set(mentioned))), ())]
                cos = float(sims[k, j]) if sims is not None else 0.0
                if not feature and cos < MIN_SIMILARITY:
                    continue
                key = (bool(feature), inc.severity is not None, round(cos, 12), inc.severity in HIGH_SEVERITIES,
                       -inc.opened_at.timestamp())
                if best is None or key > best[0]:
                    best = (key, inc, cos, feature)
            if best is not None:
                _, linked, sim, feature = best
                names = ", ".join(repr(w) for w in mentioned[next(s for s in linked.services if s in mentioned)][:3])
                why_link = (f"linked to {linked.id}: created while it was open, names {names}"
                            + (f", feature {', '.join(map(repr, feature[:2]))}" if feature else "")
                            + f", similarity {sim:.2f}")
            elif not mentioned:
                why_link = "not linked: names no service we know"
            elif not open_for_service:
                why_link = f"not linked: no incident open on {', '.join(sorted(mentioned))} at {ticket.created_at:%H:%M}"
            else:
                why_link = (f"not linked: no feature of {', '.join(i.id for i in open_for_service)} named and "
                            f"similarity below {MIN_SIMILARITY}")
        if failure:
            category = "outage" if linked else "bug"
            why_cat = f"{category}: {why_kind}" + ("" if linked else ", no open incident matches it")
        else:
            category, why_cat = kind, f"{kind}: {why_kind}"
        priority, why_pri = _priority(category, text, ticket.customer_tier, linked, bool(open_for_service), failure)
        team, why_team = _team(category, linked, mentioned)
        reasons = {"category": why_cat, "priority": why_pri, "team": why_team}
        if why_link:
            reasons["link"] = why_link
        if not text.strip():
            team, reasons["team"] = "support", "routed to support: needs a human"
        out.append(Triage(ticket, category, priority, team, linked.id if linked else None, None,
                          None if sim is None else round(sim, 4), reasons))
    _aggregate_duplicates(out, vectors.ticket_to_ticket())
    return out


def _aggregate_duplicates(triaged: list[Triage], sims) -> None:
    """Tickets linked to one incident aggregate under its first ticket; other tickets under the earliest
    earlier ticket of the same category that says the same thing."""
    first_of: dict[str, str] = {}
    root: dict[str, str] = {}
    for k, t in enumerate(triaged):
        if t.linked_incident:
            master = first_of.setdefault(t.linked_incident, t.id)
            if master != t.id:
                t.duplicate_of = master
                t.reasons["duplicate"] = f"duplicate of {master}, the first ticket linked to {t.linked_incident}"
            continue
        if sims is None or not t.ticket.text.strip():
            continue
        for i in range(k):
            other = triaged[i]
            if (other.linked_incident is None and other.category == t.category and other.ticket.text.strip()
                    and t.ticket.created_at - other.ticket.created_at <= timedelta(hours=DUP_WINDOW_H)
                    and sims[k, i] >= DUP_SIMILARITY):
                t.duplicate_of = root.get(other.id, other.id)
                root[t.id] = t.duplicate_of
                t.reasons["duplicate"] = f"duplicate of {t.duplicate_of}: says the same thing (similarity {sims[k, i]:.2f})"
                break


def triage_text(text: str, created_at: datetime, incidents: list[IncidentInfo], customer_tier: str | None = None,
                words: ServiceWords | None = None) -> Triage:
    """Triage one typed ticket (the notebook's widget). Empty text gets a "needs a human" triage."""
    return triage_tickets([Ticket("typed", created_at, text or "", customer_tier)], incidents, words)[0]


def to_json(triaged: list[Triage], incidents: list[IncidentInfo] | None = None) -> dict:
    """The ``oncall triage --json`` object: ``tickets`` (``id``, ``category``, ``priority``, ``linked_incident``,
    ``duplicate_of``, ``reason``, and ``team``), and each incident's linked ticket count."""
    doc = {"tickets": [t.to_dict() for t in triaged]}
    if incidents is not None:
        doc["incidents"] = [{"id": i.id, "tickets": sum(t.linked_incident == i.id for t in triaged)}
                            for i in incidents]
    return doc


# ---------------------------------------------------------------- the desk's answers

def reply(t: Triage, incident: IncidentInfo | None = None) -> str:
    """The first answer the ticket gets."""
    if t.linked_incident:
        return (f"Thanks for telling us. This is a known incident ({t.linked_incident}) that our on-call engineers "
                f"are working on right now; there is no need to try again or open another ticket. We will update "
                f"you here as soon as it is resolved.")
    if not t.ticket.text.strip():
        return "We received an empty ticket; a member of our team will get in touch to ask what you need."
    return f"Thanks for your ticket. It is with our {t.team} team ({t.priority}); we will get back to you."


def resolution_reply(incident_id: str) -> str:
    return (f"Good news: the incident behind your ticket ({incident_id}) is resolved. If something still "
            f"fails, reply here and we will look at it straight away.")


def status_page_draft(incident: IncidentInfo, triaged: list[Triage], words: ServiceWords | None = None) -> str:
    """A status-page message in users' words: which service, which features the linked tickets named."""
    words = words or load_service_words()
    linked = [t for t in triaged if t.linked_incident == incident.id]
    features = []
    for t in linked:
        for w in _phrases(words.words_for(incident.services, incident.components), t.ticket.text):
            if w not in features and not any(w in ws for ws in words.services.values()):
                features.append(w)
    what = f" ({', '.join(features[:3])})" if features else ""
    service = ", ".join(incident.services) or "one of our services"
    return (f"Investigating: some requests to {service}{what} are failing. Our engineers are working on it "
            f"({incident.id}); {len(linked)} customer report(s) so far. Next update within 30 minutes.")


# ---------------------------------------------------------------- measuring against the truth

def prf(predicted: set, actual: set) -> tuple[float, float, float]:
    """Precision, recall and F1 of a predicted set against the true set (1.0 where nothing to find or claim)."""
    tp = len(predicted & actual)
    precision = tp / len(predicted) if predicted else (1.0 if not actual else 0.0)
    recall = tp / len(actual) if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _pairs(groups: dict[str, str]) -> set[tuple[str, str]]:
    """Unordered pairs of tickets in the same duplicate group (ticket -> its group's first ticket)."""
    by_root: dict[str, list[str]] = {}
    for tid, r in groups.items():
        by_root.setdefault(r, []).append(tid)
    return {(a, b) for ids in by_root.values() for a in sorted(ids) for b in sorted(ids) if a < b}


def baseline_links(tickets: list[Ticket], incident: IncidentInfo) -> set[str]:
    """The naive baseline: link every ticket created while the incident is open (no lead, no grace)."""
    return {t.id for t in tickets if incident.open_at(t.created_at, lead_min=0, grace_min=0)}


def measure(triaged: list[Triage], truth: dict[str, dict], incident: IncidentInfo) -> dict:
    """Link precision/recall/F1 for ``incident`` against ``about_outage``, duplicate pairwise F1, the naive
    baseline's link figures, and category accuracy; all rounded to 4 places."""
    actual = {tid for tid, row in truth.items() if row["about_outage"]}
    predicted = {t.id for t in triaged if t.linked_incident == incident.id}
    p, r, f1 = prf(predicted, actual)
    bp, br, bf1 = prf(baseline_links([t.ticket for t in triaged], incident), actual)
    true_groups = {tid: row["duplicate_of"] or tid for tid, row in truth.items()}
    pred_groups = {t.id: t.duplicate_of or t.id for t in triaged}
    dp, dr, df1 = prf(_pairs(pred_groups), _pairs(true_groups))
    known = [t for t in triaged if t.id in truth]
    accuracy = sum(t.category == truth[t.id]["category"] for t in known) / len(known) if known else 0.0
    return {k: round(v, 4) for k, v in {
        "ticket_link_precision": p, "ticket_link_recall": r, "ticket_link_f1": f1,
        "baseline_ticket_link_precision": bp, "baseline_ticket_link_recall": br, "baseline_ticket_link_f1": bf1,
        "ticket_duplicate_precision": dp, "ticket_duplicate_recall": dr, "ticket_duplicate_f1": df1,
        "ticket_category_accuracy": accuracy}.items()}


# ---------------------------------------------------------------- the command's engine

def incidents_from_record(record) -> list[IncidentInfo]:
    """The shift's incidents as the desk sees them: state changes, the services and components of their alerts,
    and a description from the alerts' annotations and the page."""
    rows = {r.id: r for r in record.correlation.incidents.itertuples(index=False)} if record.correlation else {}
    assignment = record.correlation.assignment if record.correlation is not None else None
    # Each incident's alert summaries: its alerts in frame order, the first of each alert name.
    by_incident: dict[str, list[str]] = {}
    if assignment is not None and record.alerts is not None:
        seen = set()
        for inc_id, name, notes in zip(np.asarray(assignment), record.alerts["alertname"],
                                        record.alerts["annotations"], strict=True):
            if (inc_id, name) in seen:
                continue
            seen.add((inc_id, name))
            s = (notes or {}).get("summary", "")
            found = by_incident.setdefault(inc_id, [])
            if s and s not in found:
                found.append(s)
    out = []
    for inc in record.incidents.values():
        row = rows.get(inc.id)
        summaries = list(by_incident.get(inc.id, []))
        if record.page is not None and inc.id == record.paged_incident:
            summaries.append(f"paged {inc.severity}: {record.page.slo} error budget burning, "
                             f"{record.page.impact_pct:.0f} % of requests failing")
        out.append(IncidentInfo(
            id=inc.id, opened_at=inc.opened_at, resolved_at=inc.time_of("resolved"),
            services=tuple(row.services) if row is not None else tuple(s.strip() for s in inc.service.split(",")),
            components=tuple(c for c in (row.components if row is not None else []) if c),
            summary=". ".join(summaries), severity=inc.severity))
    return out
