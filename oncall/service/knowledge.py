"""The knowledge base the assistant retrieves from (M27), and what a stale index does to its answers (M33).

Each document in data/kb/ has YAML front matter: title, traffic_share (its share of knowledge questions),
updated_at, fact (the current answer) and optionally previous_fact (what it said before updated_at). An index
built before a document's update still serves the previous fact.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
import pandas as pd

from .. import yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, display

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the is are do does how what when i my me to of for in on and or can you your it with".split())


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    traffic_share: float
    updated_at: datetime
    fact: str
    previous_fact: str | None
    body: str

    def fact_as_of(self, index_built: datetime) -> str:
        """What an index built at ``index_built`` answers for this document."""
        if self.previous_fact is not None and index_built < self.updated_at:
            return self.previous_fact
        return self.fact


def terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


@lru_cache(maxsize=1)
def load_kb() -> tuple[Document, ...]:
    docs = []
    for path in sorted((DATA_DIR / "kb").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        parts = text.split("---", 2)
        if len(parts) != 3 or parts[0].strip():
            raise BadInput(display(path), None, "expected YAML front matter between --- lines")
        meta = yamlsafe.safe_load(parts[1]) or {}
        try:
            docs.append(Document(slug=path.stem, title=str(meta["title"]), traffic_share=float(meta["traffic_share"]),
                                 updated_at=pd.Timestamp(meta["updated_at"]).to_pydatetime(), fact=str(meta["fact"]),
                                 previous_fact=meta.get("previous_fact"), body=parts[2].strip()))
        except KeyError as exc:
            raise BadInput(display(path), exc.args[0], "missing") from None
    total = sum(d.traffic_share for d in docs)
    if abs(total - 1) > 1e-6:
        raise BadInput(display(DATA_DIR / "kb"), "traffic_share", f"expected the documents' shares to sum to 1, got {total:g}")
    return tuple(docs)


def stale_doc_share(index_built: np.ndarray, now: np.ndarray) -> np.ndarray:
    """Share of knowledge questions (by traffic) whose document changed after the index was built and at or before
    ``now`` (before its update the previous fact was still the right answer).

    ``index_built`` and ``now`` hold int64 nanosecond UTC timestamps, one per minute.
    """
    share = np.zeros(len(index_built))
    for doc in load_kb():
        if doc.previous_fact is not None:
            updated = pd.Timestamp(doc.updated_at).value
            stale = (index_built < updated) & (now >= updated)
            share += doc.traffic_share * stale
    return share


@lru_cache(maxsize=1)
def _doc_terms(docs: tuple[Document, ...]) -> list[set[str]]:
    """Each document's terms (title and body), once per knowledge base."""
    return [set(terms(d.title + " " + d.body)) for d in docs]


@lru_cache(maxsize=4096)
def retrieve(question: str) -> Document | None:
    """The document that best matches the question: summed inverse document frequency of shared terms. Pure on the
    question (the knowledge base is read once), so remembered: an eval run asks the same questions every shift."""
    docs = load_kb()
    doc_terms = _doc_terms(docs)
    scores = []
    for words in doc_terms:
        shared = words.intersection(terms(question))
        scores.append(sum(math.log(1 + len(docs) / sum(w in dt for dt in doc_terms)) for w in shared))
    best = int(np.argmax(scores))
    return docs[best] if scores[best] > 0 else None
