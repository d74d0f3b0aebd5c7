"""The truth the simulator knows (M26): each eval case's true chance of passing on a release, and sampled eval
runs drawn without running the assistant, so the course can measure its eval statistics against the truth.

An eval answer is right iff its draw u (``service.answer_model.draw``, per seed, release, case and sample) is
below the answer model's chance p. Everything else about it (the tool call, an error, its latency) is fixed by
the release. So a case passes with chance ``p * pass_if_right + (1 - p) * pass_if_wrong``, where the two
verdicts come from grading the answer the assistant gives when it is right and when it is wrong (a catalog whose
models answer with quality 1, resp. 0). ``units`` then replays a sampled ``run_eval`` exactly, from the draws
alone (``tests/test_judge_truth.py`` checks it against ``run_eval``), fast enough to run hundreds of seeds.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..service import agent
from ..service.answer_model import draw, p_correct
from ..service.catalog import Catalog, load_catalog


@dataclass(frozen=True)
class CaseTruth:
    id: str
    p_right: float          # the answer model's chance of a right answer
    pass_if_right: bool
    pass_if_wrong: bool

    @property
    def p_pass(self) -> float:
        return self.p_right * self.pass_if_right + (1 - self.p_right) * self.pass_if_wrong


def _forced(catalog: Catalog, quality: float) -> Catalog:
    models = {k: m.model_copy(update={"quality": quality}) for k, m in catalog.models.items()}
    prompts = {k: p.model_copy(update={"quality_delta": 0.0}) for k, p in catalog.prompts.items()}
    return catalog.model_copy(update={"models": models, "prompts": prompts})


def case_truths(cases, release, catalog: Catalog | None = None) -> tuple[CaseTruth, ...]:
    """Each case's true chance of passing on ``release`` (cases: a CaseSet or a list of Case)."""
    from .harness import _as_caseset, run_case

    catalog = catalog or load_catalog()
    caseset = _as_caseset(cases)
    out = []
    for quality in (1.0, 0.0):
        forced = _forced(catalog, quality)
        fn = functools.partial(agent.answer, catalog=forced)
        out.append([run_case(c, release, fn, catalog, epochs=1).passed for c in caseset.cases])
    intents = [agent.classify(c.question) for c in caseset.cases]
    return tuple(CaseTruth(c.id, p_correct(release, intent, c.difficulty, catalog), r, w)
                 for c, intent, r, w in zip(caseset.cases, intents, *out))


def true_pass_rate(truths) -> float:
    """The pass rate of infinitely many sampled answers per case: the mean of the cases' chances."""
    return float(np.mean([t.p_pass for t in truths]))


def draw_matrix(ids, release: str, seed: int, epochs: int = 1) -> np.ndarray:
    """The answer model's draws, cases x epochs, for the case ids ``ids`` of ``release`` on ``seed``."""
    return np.array([[draw(seed, release, cid, e) for e in range(epochs)] for cid in ids]).reshape(len(ids), epochs)


def passes(truths, u: np.ndarray) -> np.ndarray:
    """Which answers pass, given their draws ``u`` (cases x epochs): right iff u < p, then the case's verdict."""
    p = np.array([t.p_right for t in truths])[:, None]
    if_right = np.array([t.pass_if_right for t in truths])[:, None]
    if_wrong = np.array([t.pass_if_wrong for t in truths])[:, None]
    return np.where(u < p, if_right, if_wrong)


def units(truths, release: str, seed: int, epochs: int = 1) -> np.ndarray:
    """A cases x epochs array of passes, exactly as ``run_eval(..., seed=seed, epochs=epochs)`` samples them."""
    truths = tuple(truths)
    return passes(truths, draw_matrix([t.id for t in truths], release, seed, epochs))
