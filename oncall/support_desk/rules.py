"""Triage rules (course module M32: support desk and AIOps): categorise, link, prioritise, route, dedup, answer.

Users notice an outage before the dashboards do, in their own words ("the bot keeps failing on my refund").
The desk reads each ticket of a queue (``tickets.py``) and decides, each with the reason that decided it:

1. category: outage, bug, how-to, billing, feature request or other, from the ticket's words;
2. link: a ticket reporting a failure joins an incident as a support engineer would decide it (``link.py``): by
   time, by what it is about in customers' words (``data/tickets/services.yaml``), by whether the failure it
   reports is of the kind the incident has, with the incident's own text as one signal among these; a ticket
   those rules leave unlinked gets a second look that asks no kind of failure (``link.second_look``): written
   while an incident customers feel is open, about what that incident's own text is about, reporting trouble;
3. priority P1-P4 from the category, impact (blocked, money, many users: ``IMPACT_WORDS``), the customer's tier,
   and whether it joins a major incident (SEV-1/SEV-2, or Alertmanager's page/critical) or none is open;
4. the team it routes to;
5. duplicates: the tickets linked to one incident aggregate under its first ticket; other tickets that say the
   same thing (TF-IDF cosine at least ``DUP_SIMILARITY``, same category, within ``DUP_WINDOW_H``) under the
   earliest one.

A follow-up joins what it follows, whichever linker chose: a ticket by the same customer as an earlier ticket linked
to an incident (the same order number, or a name both carry) is linked there too when it refers back ("again",
"still", "nochmal") or asks about the order while the incident is still open, up to ``PAST_GRACE_MIN`` after it
resolved ("order 6655871 again: still the same message").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sklearn.feature_extraction.text import TfidfVectorizer

from . import link as _link
from .link import MIN_SIMILARITY, PAST_GRACE_MIN  # noqa: F401  (the linker's thresholds, importable from here too)
from .tickets import IncidentInfo, ServiceWords, Ticket, Triage, load_service_words

DUP_SIMILARITY = 0.5   # TF-IDF cosine between two tickets that say the same thing
DUP_WINDOW_H = 24

# Category words. A failure report is read by the linker (link.read: errors, slowness, wrong answers, the symptoms
# customers describe); FAILURE_WORDS stay for _category's first rule, which the desk no longer calls itself.
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
                 r"feature", r"would be (nice|great|cool|helpful)", r"wish", r"suggestion", r"(could|can) you add",
                 r"it would help")
HOWTO_WORDS = (r"how (do|can|long|much)", r"can i", r"is the \w+ able", r"where (do|can) i", r"what", r"when",
               r"which", r"do i", r"is there")
IMPACT_WORDS = (r"urgent(ly)?", r"block(ing|er|ed)", r"escalate", r"asap", r"every", r"everyone", r"all (our|of)",
                r"customers", r"lost", r"production",
                # money at stake, many users, work stopped
                r"(losing|lose|lost) (money|sales|revenue|orders)", r"revenue", r"can'?t (sell|pay|check ?out)",
                r"everybody", r"nobody can", r"none of (our|us|my)", r"whole (team|company|shop|store)",
                r"all (users|customers|agents|staff)", r"(many|hundreds of|thousands of|dozens of) (users|customers)",
                r"(can'?t|cannot) work", r"emergency")

TEAMS = {"outage": "on-call", "bug": "engineering", "how-to": "support", "billing": "billing",
         "feature request": "product", "other": "support"}
BASE_PRIORITY = {"outage": 2, "bug": 3, "billing": 3, "how-to": 4, "feature request": 4, "other": 4}
HIGH_SEVERITIES = ("SEV-1", "SEV-2")
# A customer's follow-up (``_follow_ups``): this many hours at most after their first ticket (and at most
# ``PAST_GRACE_MIN`` after its incident ended).
FOLLOW_UP_H = 12
# A thank-you is not the matter going on ("order 7781234 arrived, thank you! can I order another?").
THANKS = re.compile(r"\b(thanks?|thank you|arrived|all good|works (now|again)|solved|resolved)\b")


def _pattern(words) -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(words) + r")(?![\w-])", re.IGNORECASE)


_FAILURE, _BUG, _BILLING = _pattern(FAILURE_WORDS), _pattern(BUG_WORDS), _pattern(BILLING_WORDS)
_FEATURE, _HOWTO, _IMPACT = _pattern(FEATURE_WORDS), _pattern(HOWTO_WORDS), _pattern(IMPACT_WORDS)


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
    if linked is not None and _link.is_major(linked.severity) and (impact or tier == "enterprise"):
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


@dataclass
class FirstPass:
    """What the rules decided of each ticket of a queue, before priorities: the tickets in creation order; per
    ticket (``seen``) its reading, the services it names and the rules' link with its reasons; the incidents'
    topics; the ticket-to-incident similarities; the queue's TF-IDF vectors."""

    tickets: list[Ticket]
    seen: list[dict]
    topics: list
    sims: object
    vectors: object


_READINGS: dict = {}   # the service words (as repr) -> {ticket text: (its reading, the services it mentions)}
_READINGS_KEPT = 4
_TEXTS_KEPT = 20_000


def _readings_for(words) -> dict:
    """What ``link.read`` and ``link.mentions`` make of a text under these service words: functions of the two
    alone, and a night's queue says what every other night's says (the generator's texts), so each text is read
    once per set of words."""
    key = repr(words)
    if key not in _READINGS or len(_READINGS[key]) > _TEXTS_KEPT:
        _READINGS.pop(key, None)
        _READINGS[key] = {}
        while len(_READINGS) > _READINGS_KEPT:
            _READINGS.pop(next(iter(_READINGS)))
    return _READINGS[key]


def first_pass(tickets: list[Ticket], incidents: list[IncidentInfo], words: ServiceWords | None = None,
               second_look: bool = True) -> FirstPass:
    """The rules' reading and link of every ticket, in creation order (``triage_tickets`` goes on from here)."""
    catalog = words or load_service_words()
    words = catalog.knowing(incidents)   # a service the catalog does not know, by its name
    tickets = sorted(tickets, key=lambda t: (t.created_at, t.id))
    descriptions = [describe_incident(i, words) for i in incidents]
    vectors = _Vectors([t.text for t in tickets], descriptions)
    sims = vectors.ticket_to_incident()
    topics = _link.incident_topics(incidents, catalog)
    seen = []
    known = _readings_for(words)
    for k, ticket in enumerate(tickets):
        text = ticket.text
        if text not in known:
            reading = _link.read(text, words)
            known[text] = (reading, _link.mentions(reading, words) if text.strip() else {})
        reading, found = known[text]
        reading = _link.dated(reading, ticket.created_at.year)
        found = {s: {part: list(hits) for part, hits in f.items()} for s, f in found.items()}   # the caller's own
        mentioned = {s: [w for hits in f.values() for w in hits] for s, f in found.items()}
        failure = bool(found) and reading.kind is not None and reading.not_a_report is None
        if failure:
            kind, why_kind = "failure", ("reports a failure of a service we run ("
                                         + ", ".join(repr(h) for h in reading.evidence[:3]) + ")")
        else:
            kind, why_kind = _category(text, False)
        read_as = {"failure": failure, "why_kind": why_kind}     # before the second look
        linked, why_link = None, None
        if failure:
            verdict = _link.link(reading, ticket.created_at, found, incidents, words,
                                 lambda j, k=k: sims[k, j] if sims is not None else 0.0)
            linked, why_link = verdict.incident, verdict.reason
        elif found and reading.not_a_report and reading.kind is None and _link._hits(_link._HARD, reading.text):
            why_link = f"not linked: {reading.not_a_report}"
        elif found and reading.not_a_report == "asks for something new" and reading.kind is not None:
            why_link = "not linked: asks for something new"
        if linked is None and second_look and text.strip():
            second = _link.second_look(reading, ticket.created_at, incidents, topics, found)
            if second.incident is not None:
                linked, why_link, failure = second.incident, second.reason, True
                why_kind = why_link.split(": ", 1)[1]
        seen.append({"reading": reading, "found": found, "mentioned": mentioned, "failure": failure,
                     "kind": kind, "why_kind": why_kind, "linked": linked, "why_link": why_link,
                     "read_as": read_as, "words": words})
    return FirstPass(tickets, seen, topics, sims, vectors)


def triage_tickets(tickets: list[Ticket], incidents: list[IncidentInfo],
                   words: ServiceWords | None = None, second_look: bool = True,
                   linker: str = "rules", weights=None) -> list[Triage]:
    """Triage and link every ticket (in creation order); the same input gives the same output. ``second_look``
    False: the rules alone (``link.second_look`` never asked), to measure what the second look adds. ``linker``
    "learned": the rules' decisions, then the weights learned from the labelled nights (``learned.py``) choose
    each ticket's incident among those its time fits, the rules' own choice one signal among them (``weights``: a
    ``learned.Weights``; None: the shipped ones)."""
    if linker not in ("rules", "learned"):
        raise ValueError(f"linker: expected 'rules' or 'learned', got {linker!r}")
    first = first_pass(tickets, incidents, words, second_look)
    if linker == "learned":
        from . import learned
        learned.choose(first, incidents, weights)
    _follow_ups(first)
    out = []
    for k, (ticket, d) in enumerate(zip(first.tickets, first.seen)):
        text, linked, failure, kind, why_kind = ticket.text, d["linked"], d["failure"], d["kind"], d["why_kind"]
        open_for_service = [i for i in incidents
                            if set(i.services) & set(d["mentioned"]) and i.open_at(ticket.created_at)]
        sim = None
        if linked is not None:
            sim = float(first.sims[k, incidents.index(linked)]) if first.sims is not None else 0.0
        if failure:
            category = "outage" if linked else "bug"
            why_cat = f"{category}: {why_kind}" + ("" if linked else ", no open incident matches it")
        else:
            category, why_cat = kind, f"{kind}: {why_kind}"
        priority, why_pri = _priority(category, text, ticket.customer_tier, linked, bool(open_for_service), failure)
        team, why_team = _team(category, linked, d["mentioned"])
        reasons = {"category": why_cat, "priority": why_pri, "team": why_team}
        if d["why_link"]:
            reasons["link"] = d["why_link"]
        if not text.strip():
            team, reasons["team"] = "support", "routed to support: needs a human"
        out.append(Triage(ticket, category, priority, team, linked.id if linked else None, None,
                          None if sim is None else round(sim, 4), reasons))
    _aggregate_duplicates(out, first.vectors.ticket_to_ticket())
    return out


def _follow_ups(first: FirstPass) -> None:
    """A ticket left unlinked that follows up an earlier linked ticket of the same customer joins that ticket's
    incident: ``link.same_customer`` finds an order number both give, or a name both carry in a ticket that says
    "again", "still", "nochmal"; an order number alone counts when the ticket refers back too, or asks about the
    order while the incident is open. Within ``FOLLOW_UP_H`` hours of the first ticket and ``PAST_GRACE_MIN`` of the
    incident's end ("me again, still nothing"); not when the customer says they did not feel it, or places their
    trouble in an older past ("a week now")."""
    tickets, seen = first.tickets, first.seen
    for k, d in enumerate(seen):
        later = tickets[k]
        if d["linked"] is not None or not later.text.strip() or d["reading"].old \
                or _link.NOT_FELT.search(d["reading"].text):
            continue
        for i in range(k):
            earlier, inc = tickets[i], seen[i]["linked"]
            if inc is None or not earlier.created_at < later.created_at:
                continue
            hours = (later.created_at - earlier.created_at).total_seconds() / 3600
            end = inc.resolved_at or later.created_at
            if hours > FOLLOW_UP_H or later.created_at - end > timedelta(minutes=PAST_GRACE_MIN):
                continue
            who = _link.same_customer(earlier.text, later.text)
            # an order number both give: it refers back, or asks about the order while the incident is open
            if who and who.startswith("order ") and not (
                    _link.refers_back(later.text)
                    or (inc.open_at(later.created_at) and "?" in later.text and not THANKS.search(d["reading"].text))):
                continue
            if who:
                d["why_link"] = f"linked to {inc.id}: follows up {earlier.id} ({who}), which is linked to it"
                d["linked"], d["failure"] = inc, True
                d["why_kind"] = d["why_link"].split(": ", 1)[1]
                break


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

