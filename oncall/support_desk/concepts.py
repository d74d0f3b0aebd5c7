"""The things of the shop a ticket and an incident speak of (course module M32): ``data/tickets/concepts.yaml``.

A customer writes "my basket is empty" or "Warenkorb leer"; the alerts say ``CartItemsLost`` on ``cart-api``. The
service catalog (``services.yaml``) knows the services we run and their features; this thesaurus knows the shop's
things (the cart, delivery dates, loyalty points, product images) in the words alerts use (``system``) and in the
words customers use, in their languages (``customer``). The learned linker reads both: whether a ticket speaks of a
thing its incident's alerts speak of, or only of other things.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version, display
from .link import _CAMEL, MONITORING_WORDS
from .tickets import IncidentInfo


@dataclass(frozen=True)
class Concepts:
    names: tuple[str, ...]
    system: tuple[re.Pattern, ...]       # per concept: its words in alerts, services and components
    customer: tuple[re.Pattern, ...]     # per concept: its words in tickets

    def in_ticket(self, text: str) -> frozenset[str]:
        """The concepts a ticket's (lowercased) text names."""
        return frozenset(n for n, rx in zip(self.names, self.customer) if rx.search(text))

    def in_incident(self, incident: IncidentInfo) -> frozenset[str]:
        """The concepts an incident's alerts, services and components name; the words of monitoring itself ("return",
        "requests") and the SLOs' names ("availability", "latency") are not things of the shop."""
        text = " ".join([_CAMEL.sub(" ", incident.summary), *incident.components, *incident.services])
        words = re.sub(r"[-_/.:,()]", " ", text.lower()).split()
        text = " ".join(w for w in words if w not in MONITORING_WORDS and w not in _slo_names())
        return frozenset(n for n, rx in zip(self.names, self.system) if rx.search(text))


@lru_cache(maxsize=1)
def _slo_names() -> frozenset[str]:
    return frozenset(p.stem for p in (DATA_DIR / "slos").glob("*.yaml"))


def _words_rx(words: list[str]) -> re.Pattern:
    alternatives = sorted({re.escape(w) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)") if alternatives else re.compile(r"(?!)")


def load_concepts(path: str | Path | None = None) -> Concepts:
    """The thesaurus (``data/tickets/concepts.yaml``, or ``path``), read once per file version."""
    return _load(Path(path) if path else DATA_DIR / "tickets" / "concepts.yaml")


@cached_per_file_version
def _load(file: Path) -> Concepts:
    where = display(file)
    try:
        doc = yamlsafe.safe_load(Path(file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(where, None, f"cannot read it ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("concepts"), dict):
        raise BadInput(where, "concepts", "expected a mapping of concept -> system and customer words")
    names, system, customer = [], [], []
    for name, node in doc["concepts"].items():
        for field in ("system", "customer"):
            words = node.get(field) if isinstance(node, dict) else None
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                raise BadInput(where, f"concepts.{name}.{field}", "expected a list of words")
        names.append(str(name))
        system.append(_words_rx([w.lower() for w in node["system"]]))
        customer.append(_words_rx([w.lower() for w in node["customer"]]))
    return Concepts(tuple(names), tuple(system), tuple(customer))
