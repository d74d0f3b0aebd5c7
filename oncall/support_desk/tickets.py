"""Tickets, incidents and the truth (course module M32: support desk and AIOps): the desk's queue model.

What the desk reads and what it is measured against, apart from the rules that decide (``rules.py``):

- a queue of tickets (JSON Lines: ``id``, ``created_at``, ``text``, optional ``customer_tier``), validated with one
  line naming file, line and field for bad input;
- the incidents a ticket may be linked to (a plain list, ``oncall correlate --json``, or a shift's record);
- the words users call each service and feature by (``data/tickets/services.yaml``);
- the ground truth, kept apart from the queue, and ``measure``: link precision, recall and F1 beside the naive
  baseline (link every ticket created while the incident is open), duplicate F1 and category accuracy.

Pure except the ``load_*`` helpers.
"""
from __future__ import annotations

import dataclasses
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, display, refuse_empty
from . import desk_export

CATEGORIES = ("outage", "bug", "how-to", "billing", "feature request", "other")
TIERS = ("free", "pro", "enterprise")
PRIORITIES = ("P1", "P2", "P3", "P4")

LEAD_MIN = 15          # a ticket may arrive before the correlator opens the incident (the users saw it first)
GRACE_MIN = 60         # ... or shortly after it resolved ("it failed earlier tonight")


# ---------------------------------------------------------------- data

@dataclass(frozen=True)
class Ticket:
    id: str
    created_at: datetime        # UTC
    text: str
    customer_tier: str | None = None
    # the export's other fields, kept as they came (and the tier as given, when it was read as another)
    extra: dict = field(default_factory=dict, compare=False, hash=False)


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
                "linked_incident": self.linked_incident, "duplicate_of": self.duplicate_of, "reason": self.reason,
                **({"extra": self.ticket.extra} if self.ticket.extra else {})}


@dataclass(frozen=True)
class ServiceWords:
    """The words users call each service, and each of its components' features, by."""

    services: dict[str, tuple[str, ...]]
    features: dict[str, dict[str, tuple[str, ...]]]   # service -> component -> words
    # words that name the service by how it fails ("spinning", "not loading"): a topic and a failure at once
    symptoms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # components whose failure touches every feature of their service (the gateway, the model): service -> names
    service_wide: dict[str, frozenset] = field(default_factory=dict)
    # components whose words are not the service's alone ("upload"): they name it only beside another of its words
    shared: dict[str, frozenset] = field(default_factory=dict)

    def knowing(self, incidents) -> "ServiceWords":
        """These words, plus words for every incident's service the catalog does not know, made from its own name
        ("payment-gateway": "payment gateway", "payment") and its components' ("psp"): a new service of the shop is
        still named by what its engineers called it. The catalog's own services are kept as they are."""
        unknown = {s: set() for i in incidents for s in i.services if s and s not in self.services}
        if not unknown:
            return self
        for inc in incidents:
            for s in inc.services:
                if s in unknown:
                    unknown[s].update(c for c in inc.components if c)
        services, features = dict(self.services), {k: dict(v) for k, v in self.features.items()}
        service_wide = dict(self.service_wide)
        for s, comps in unknown.items():
            services[s] = tuple(dict.fromkeys(_name_words(s)))
            features[s] = {c: tuple(w for w in _name_words(c) if w not in services[s]) for c in sorted(comps)}
            service_wide[s] = frozenset()
        return ServiceWords(services, features, self.symptoms, service_wide, self.shared)

    def words_for(self, services, components) -> list[str]:
        out = []
        for s in services:
            out += list(self.services.get(s, ()))
            for c in components:
                out += list(self.features.get(s, {}).get(c, ()))
        return out


# Parts of an engineer's name that say nothing to a customer ("api", "svc").
_GENERIC_PARTS = {"api", "web", "db", "svc", "service", "services", "prod", "app", "server", "backend", "frontend",
                  "worker", "workers", "node", "nodes", "gateway", "proxy", "cache", "queue", "job", "jobs", "main",
                  "core", "internal", "v1", "v2", "the", "and"}


def _name_words(name: str) -> list[str]:
    """An engineer's name as customers might say it: "payment-gateway" -> "payment gateway", "payment";
    single parts of four letters or more that are not generic ("api", "worker")."""
    parts = [p for p in re.split(r"[-_.\s/]+", name.lower()) if p]
    out = [" ".join(parts)] if len(parts) > 1 else []
    out += [p for p in parts if len(p) >= 4 and p not in _GENERIC_PARTS]
    if len(parts) == 1 and (len(parts[0]) < 4 or parts[0] in _GENERIC_PARTS):
        out = []
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- reading and validation

def _utc(value, where: str, field_name: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(where, field_name, f"expected an ISO 8601 time like 2026-11-27T01:33:00Z, got {value!r}")
    try:
        when = datetime.fromisoformat(re.sub(r"\s*(Z|UTC|GMT)$", "+00:00", value.strip()))
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
    if not raw.strip():
        raise BadInput(where, None, f"empty ({'0 bytes' if not raw else 'only white space'}); expected tickets, "
                                    "one JSON object a line or a desk's CSV export (a failed export?)")
    try:
        text = raw.decode("utf-8-sig")   # a spreadsheet's export may start with a byte-order mark
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


def parse_tickets(lines: list[str], where: str = "<tickets>", warn=None, tiers: str | None = None) -> list[Ticket]:
    """JSON Lines -> tickets, sorted by creation time (then id). Blank lines are skipped; a bad line raises
    BadInput naming the file, the line and the field. A tier we do not know is read through
    ``data/tickets/tiers.yaml`` (its aliases, else its default) with one warning per tier given to ``warn``."""
    return _tickets(_json_lines(lines, where), where, warn, tiers)


def _tickets(rows, where: str, warn, tiers_path: str | None = None) -> list[Ticket]:
    tickets, seen, unknown = [], {}, {}
    tiers = load_tiers(None if tiers_path is None else str(tiers_path))
    for n, at, row in rows:
        for name in ("id", "created_at", "text"):
            if name not in row:
                raise BadInput(at, name, "missing (every ticket needs id, created_at and text)")
        tid = row["id"]
        if not isinstance(tid, (str, int)) or isinstance(tid, bool) or not str(tid).strip():
            raise BadInput(at, "id", f"expected a non-empty string, got {tid!r}")
        tid = str(tid).strip()
        if tid in seen:
            raise BadInput(at, "id", f"{tid!r} already used on line {seen[tid]}")
        seen[tid] = n
        if not isinstance(row["text"], str):
            raise BadInput(at, "text", f"expected a string, got {type(row['text']).__name__}")
        extra = {k: v for k, v in row.items() if k not in ("id", "created_at", "text", "customer_tier")}
        given = row.get("customer_tier")
        tier = None
        if given is not None:
            key = str(given).strip().lower()
            tier = key if key in TIERS else tiers["aliases"].get(key)
            if tier is None:
                tier = tiers["default"]
                unknown.setdefault(str(given), []).append(n)
            if tier != given:
                extra["customer_tier_given"] = given
        tickets.append(Ticket(tid, _utc(row["created_at"], at, "created_at"), row["text"], tier, extra))
    for given, at_lines in unknown.items():
        say = warn or (lambda line: print(line, file=sys.stderr))
        say(f"{where}: customer_tier {given!r} is not a tier we know ({', '.join(TIERS)}; "
            f"{len(at_lines)} ticket(s), first on line {at_lines[0]}): read as {tiers['default']}")
    return sorted(tickets, key=lambda t: (t.created_at, t.id))


@lru_cache(maxsize=2)
def load_tiers(path: str | None = None) -> dict:
    """``data/tickets/tiers.yaml``: ``default`` (the tier an unknown one is read as) and ``aliases`` (a desk's
    tier name -> ours)."""
    file = Path(path) if path else DATA_DIR / "tickets" / "tiers.yaml"
    where = display(file)
    try:
        doc = yamlsafe.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(where, None, f"cannot read it ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or doc.get("default") not in TIERS:
        raise BadInput(where, "default", f"expected one of {', '.join(TIERS)}")
    aliases = {}
    for tier, names in (doc.get("aliases") or {}).items():
        if tier not in TIERS or not isinstance(names, list):
            raise BadInput(where, f"aliases.{tier}", f"expected one of {', '.join(TIERS)} with a list of names")
        aliases.update({str(n).strip().lower(): tier for n in names})
    return {"default": doc["default"], "aliases": aliases}


def load_tickets(path: str | Path, warn=None, tiers: str | Path | None = None) -> list[Ticket]:
    """Read and validate a ticket file: JSON Lines, a desk's CSV export (by extension, else by its first
    character) or a JSON array of tickets (or ``{"tickets": [...]}``), UTF-8. ``tiers``: the desk's own tier
    mapping (``default`` and ``aliases``, as ``data/tickets/tiers.yaml``). Warnings (a tier we do not know) go to ``warn``, by default one line each on stderr."""
    where, lines = _lines(path)
    if desk_export.kind_of(str(path), "\n".join(lines[:5])) == "csv":
        return _tickets(desk_export.csv_rows("\n".join(lines), where), where, warn, tiers)
    rows = desk_export.json_document_rows("\n".join(lines), where)   # a JSON array, or {"tickets": [...]}
    if rows is not None:
        return _tickets(rows, where, warn, tiers)
    return parse_tickets(lines, where, warn, tiers)


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


def alert_texts(storm: str | Path) -> dict[str, str]:
    """fingerprint -> "alertname (slo SLO): summary" of every alert of a storm file (Alertmanager webhook payloads): the
    text the on-call reads on the page, which ``oncall correlate --json`` leaves out (it names the alerts by their
    fingerprints only)."""
    from .alerts import parse_file

    return texts_of(parse_file(storm))


def texts_of(frame) -> dict[str, str]:
    """fingerprint -> "alertname (slo SLO): summary" of every alert of an alert frame (``alerts.parse_file``)."""
    out: dict[str, str] = {}
    for fp, name, labels, notes in zip(frame["fingerprint"], frame["alertname"], frame["labels"],
                                       frame["annotations"]):
        if fp not in out:
            notes = notes or {}
            said = notes.get("summary") or notes.get("description") or ""
            slo = (labels or {}).get("slo")       # the objective an error-budget alert burns
            name = f"{name} ({slo} SLO)" if slo else str(name)
            out[fp] = f"{name}: {said}" if said else name
    return out


def load_incidents(path: str | Path, storm: str | Path | None = None) -> list[IncidentInfo]:
    """Incidents from a JSON file; ``storm``: the alerts' file they were correlated from, whose alert names and
    summaries become the text of every incident that has none (the page the on-call reads)."""
    incidents = _load_incidents(path)
    if storm is None:
        return incidents
    texts = alert_texts(storm)
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = rows.get("incidents", []) if isinstance(rows, dict) else rows
    prints = {str(r.get("id")): r.get("fingerprints") or [] for r in rows if isinstance(r, dict)}
    out = []
    for inc in incidents:
        said = [texts[fp] for fp in prints.get(inc.id, []) if fp in texts]
        if not inc.summary and said:
            inc = dataclasses.replace(inc, summary=". ".join(dict.fromkeys(said)))
        out.append(inc)
    return out


def _load_incidents(path: str | Path) -> list[IncidentInfo]:
    where = display(Path(path))
    refuse_empty(path, where, "incidents JSON (a list, or the output of oncall correlate --json)")
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
    services, features, symptoms, service_wide, shared = {}, {}, {}, {}, {}
    for name, node in doc["services"].items():
        if not isinstance(node, dict) or not isinstance(node.get("words"), list):
            raise BadInput(where, f"services.{name}.words", "expected a list of words")
        services[name] = tuple(str(w).lower() for w in node["words"])
        if not isinstance(node.get("symptoms") or [], list):
            raise BadInput(where, f"services.{name}.symptoms", "expected a list of words")
        symptoms[name] = tuple(str(w).lower() for w in node.get("symptoms") or [])
        comps = node.get("components") or {}
        if not isinstance(comps, dict):
            raise BadInput(where, f"services.{name}.components", "expected a mapping of component -> words")
        features[name], wide, not_alone = {}, set(), set()
        for c, ws in comps.items():
            if isinstance(ws, dict):    # {words: [...], scope: service}
                if ws.get("scope", "feature") not in ("feature", "service"):
                    raise BadInput(where, f"services.{name}.components.{c}.scope", "expected feature or service")
                if ws.get("scope") == "service":
                    wide.add(c)
                if ws.get("alone", True) is False:
                    not_alone.add(c)
                ws = ws.get("words")
            if not isinstance(ws or [], list):
                raise BadInput(where, f"services.{name}.components.{c}", "expected a list of words")
            features[name][c] = tuple(str(w).lower() for w in (ws or []))
        service_wide[name], shared[name] = frozenset(wide), frozenset(not_alone)
    return ServiceWords(services, features, symptoms, service_wide, shared)


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

