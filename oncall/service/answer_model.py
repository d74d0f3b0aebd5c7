"""The answer model (M27): the chance that a release answers a question right, for live traffic and evals alike.

One function, ``p_correct``, gives that chance from the release's config and the question:

- the model's ``quality`` plus the prompt's ``quality_delta`` is the release's quality ``q`` over live traffic;
- a prompt that drops the retrieved passages (``uses_retrieval: false``) loses its whole delta on knowledge
  questions (answered from the model's memory), while order answers (read from a tool's result) keep the model's
  quality: ``q_kb = q_model + delta / share_of_kb_questions``, so traffic as a whole still answers at ``q``;
- a question's ``difficulty`` d in [-1, 1] (0 is the typical live question) moves it around that mean:
  ``p = q - d * q * (1 - q)``. p stays in [q^2, q(2 - q)], inside [0, 1], and live traffic (difficulty 0 on
  average) answers at exactly the intent's ``q``.

The tool schema and the retrieval index act apart from this chance and deterministically: a schema the order API
rejects makes every call of that tool fail (an error, not a wrong answer), and an index built before a document
changed answers with the document's previous fact (a stale answer, wrong whatever the draw).

Live traffic (``service.simulate``): each graded answer is drawn at random from the minute's traffic, so the
number right among N graded answers is Binomial(N, ``live_p_correct``), the traffic-weighted mean of
``p_correct`` over intents at difficulty 0 (p is linear in d, so the mean over difficulties is p at the mean
difficulty).

Evals (``service.agent.answer`` with a ``Sample``): each answer is a draw u, uniform in [0, 1) and deterministic
per (seed, release, case, sample); the answer is right iff u < p. Without a sample the agent decodes greedily
(temperature 0): right iff p >= 0.5, the same answer every time; a drop from 0.98 to 0.78 is then invisible,
which is why the eval gate samples as production does.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..scenario_model import Release
from .catalog import Catalog

INTENTS = ("kb_question", "order_lookup", "refund")


@dataclass(frozen=True)
class Sample:
    """One sampled answer: the eval's seed, the case it answers, which sample of that case (epoch), and the case's
    difficulty."""

    seed: int
    case: str
    index: int = 0
    difficulty: float = 0.0


def intent_quality(release: Release, intent: str, catalog: Catalog) -> float:
    """The release's chance of a right answer on a typical (difficulty 0) question of ``intent``."""
    model = catalog.models[release.model]
    prompt = catalog.prompts[release.prompt]
    if prompt.uses_retrieval:
        q = model.quality + prompt.quality_delta
    elif intent == "kb_question":
        q = model.quality + prompt.quality_delta / catalog.intent_mix["kb_question"]
    else:
        q = model.quality
    return min(max(q, 0.0), 1.0)


def p_correct(release: Release, intent: str, difficulty: float, catalog: Catalog) -> float:
    """The chance ``release`` answers a question of ``intent`` and ``difficulty`` (in [-1, 1]) right."""
    if not -1.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty: expected a number in [-1, 1], got {difficulty}")
    q = intent_quality(release, intent, catalog)
    return q - difficulty * q * (1.0 - q)


def live_p_correct(release: Release, catalog: Catalog) -> float:
    """The chance that a graded answer drawn at random from live traffic is right: ``p_correct`` at difficulty 0,
    weighted by the traffic's intent mix (exactly ``model.quality + prompt.quality_delta``, clipped, when no
    intent clips)."""
    ps = {intent: p_correct(release, intent, 0.0, catalog) for intent in INTENTS}
    if len(set(ps.values())) == 1:
        return ps[INTENTS[0]]
    model, prompt = catalog.models[release.model], catalog.prompts[release.prompt]
    mean = sum(catalog.intent_mix[i] * ps[i] for i in INTENTS)
    exact = min(max(model.quality + prompt.quality_delta, 0.0), 1.0)
    return exact if abs(mean - exact) < 1e-12 else mean


def draw(seed: int, release: str, case: str, index: int) -> float:
    """A uniform number in [0, 1), the same for the same (seed, release, case, sample) on every machine."""
    digest = hashlib.blake2b(f"{int(seed)}|{release}|{case}|{int(index)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0 ** 64


def answers_right(release: Release, intent: str, catalog: Catalog, sample: Sample | None) -> bool:
    """Does this answer come out right? Sampled with ``sample``; greedy (p >= 0.5) without."""
    difficulty = sample.difficulty if sample is not None else 0.0
    p = p_correct(release, intent, difficulty, catalog)
    if sample is None:
        return p >= 0.5
    return draw(sample.seed, release.version, sample.case, sample.index) < p
