"""The grader that errs (M27/M26): an LLM-as-judge model with a stated false-pass and false-fail rate.

Live traffic's quality SLI is not graded by an oracle: a sample of answers is read by an LLM judge, and the judge
is wrong now and then. This module is that judge, simulated: shown an answer whose truth the simulator knows, it
says "pass" with probability ``1 - false_fail`` when the answer is right (its sensitivity) and with probability
``false_pass`` when it is wrong (1 - its specificity). The rates are stated in ``data/service.yaml`` (``judge``).

- ``verdict``: one judged answer, a draw deterministic per (seed, release, case, sample), on its own stream (a
  salt), so judging an eval never moves the draw that made the answer.
- ``judged_correct``: the live counts. Of ``right`` right and ``wrong`` wrong graded answers in a minute, the
  judge passes Binomial(right, 1 - false_fail) + Binomial(wrong, false_pass): the SLI's ``correct`` column.
- ``expected_pass_rate``: what the judge reports on average for a true pass rate p:
  ``p (1 - false_fail) + (1 - p) false_pass``. The evals package measures the judge on a human-labelled
  calibration set and inverts this (Rogan-Gladen) to correct a judged pass rate.
"""
from __future__ import annotations

import hashlib

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class JudgeModel(BaseModel):
    """The LLM judge's stated error rates (``data/service.yaml``'s ``judge``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "judge-m-1"
    false_pass: float = Field(0.12, ge=0, lt=0.5)   # P(judge says pass | the answer is wrong)
    false_fail: float = Field(0.015, ge=0, lt=0.5)  # P(judge says fail | the answer is right)

    @property
    def sensitivity(self) -> float:
        return 1.0 - self.false_fail

    @property
    def specificity(self) -> float:
        return 1.0 - self.false_pass

    def expected_pass_rate(self, true_rate: float) -> float:
        """The pass rate the judge reports, on average, for answers truly right at ``true_rate``."""
        return true_rate * self.sensitivity + (1.0 - true_rate) * self.false_pass

    def verdict(self, right: bool, seed: int, release: str, case: str, index: int = 0) -> bool:
        """The judge's verdict on one answer (right or not): deterministic per (seed, release, case, sample)."""
        u = judge_draw(seed, release, case, index)
        return u >= self.false_fail if right else u < self.false_pass

    def judged_correct(self, right: np.ndarray, wrong: np.ndarray, rng_right: np.random.Generator,
                       rng_wrong: np.random.Generator) -> np.ndarray:
        """Per minute, how many of ``right`` right and ``wrong`` wrong graded answers the judge passes."""
        return rng_right.binomial(right, self.sensitivity) + rng_wrong.binomial(wrong, self.false_pass)


def judge_draw(seed: int, release: str, case: str, index: int) -> float:
    """A uniform number in [0, 1) for the judge's reading of one answer (its own salt: independent of the draw
    that made the answer)."""
    digest = hashlib.blake2b(f"judge|{int(seed)}|{release}|{case}|{int(index)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0 ** 64
