"""Eval statistics (M26): a pass rate with its confidence interval, pass@k and pass^k, flaky cases, and a paired
comparison of two releases on the same cases; the deploy gate's decision from them.

The unit is one sampled answer to one case (a case asked K times, ``--epochs K``, gives K units). An epoch passes
when its score reaches the case's threshold.

- ``pass_rate`` is the share of passing units, ``ci_low``/``ci_high`` its Wilson score interval (95 %). Units of
  one case share its difficulty, so with many epochs and cases of very different difficulty the interval is a
  little too narrow; with one epoch it is the textbook interval.
- ``pass_at_k`` (any of k answers passes) and ``pass_pow_k`` (all k pass, the reliability a user sees asking
  k times), each the unbiased estimate from a case's K epochs, averaged over cases, for k = 1..K.
- ``flaky_cases``: cases that both passed and failed across their epochs.
- ``paired``: McNemar's exact test on the discordant units (passed on one release, failed on the other), a
  two-sided binomial test of b against b + c at 1/2 (``scipy.stats.binomtest``); ``delta`` is the candidate's
  pass rate minus the baseline's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import binomtest

Z95 = 1.959963984540054

# The deploy gate: a candidate is significantly below the last good release when the paired test says so at
# ALPHA and the drop is at least FLOOR (a practical-significance floor: smaller drops are within the noise the
# quality SLO's budget absorbs, and blocking them would block good releases).
GATE_ALPHA = 0.01
GATE_FLOOR = 0.05


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _epoch_passes(case_result) -> list[bool]:
    return [s >= case_result.threshold - 1e-12 for s in case_result.epoch_scores]


def pass_pow_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k: the chance that k answers drawn from the n, c of them passing, all pass."""
    return math.comb(c, k) / math.comb(n, k) if k <= n else 0.0


@dataclass(frozen=True)
class Summary:
    release: str
    cases: int
    epochs: int
    units: int
    passed_units: int
    pass_rate: float
    ci_low: float
    ci_high: float
    pass_at_k: dict[int, float]
    pass_pow_k: dict[int, float]
    flaky_cases: tuple[str, ...]
    by_tag: dict[str, float]

    def to_json(self) -> dict:
        return {"release": self.release, "cases": self.cases, "epochs": self.epochs, "samples": self.units,
                "passed_samples": self.passed_units, "pass_rate": round(self.pass_rate, 4),
                "ci_low": round(self.ci_low, 4), "ci_high": round(self.ci_high, 4),
                "pass_at_k": {str(k): round(v, 4) for k, v in self.pass_at_k.items()},
                "pass_pow_k": {str(k): round(v, 4) for k, v in self.pass_pow_k.items()},
                "flaky_cases": list(self.flaky_cases),
                "pass_rate_by_tag": {t: round(v, 4) for t, v in self.by_tag.items()}}


def summarize(result, cases=None) -> Summary:
    """The statistics of an ``EvalResult`` (its cases' epoch scores); ``cases`` (the Case objects) adds the pass
    rate by tag."""
    from .harness import pass_at_k

    rows = [(c.id, _epoch_passes(c)) for c in result.cases]
    epochs = max((len(p) for _, p in rows), default=0)
    units = sum(len(p) for _, p in rows)
    passed = sum(sum(p) for _, p in rows)
    low, high = wilson(passed, units)
    at_k, pow_k = {}, {}
    for k in range(1, epochs + 1):
        usable = [p for _, p in rows if len(p) >= k]
        at_k[k] = sum(pass_at_k(len(p), sum(p), k) for p in usable) / len(usable) if usable else 0.0
        pow_k[k] = sum(pass_pow_k(len(p), sum(p), k) for p in usable) / len(usable) if usable else 0.0
    flaky = tuple(cid for cid, p in rows if 0 < sum(p) < len(p))
    by_tag: dict[str, list[int]] = {}
    if cases is not None:
        tags = {c.id: c.tags for c in cases}
        for cid, p in rows:
            for tag in tags.get(cid, ()):
                acc = by_tag.setdefault(tag, [0, 0])
                acc[0] += sum(p)
                acc[1] += len(p)
    return Summary(result.release, len(rows), epochs, units, passed, passed / units if units else 1.0, low, high,
                   at_k, pow_k, flaky, {t: k / n for t, (k, n) in sorted(by_tag.items())})


@dataclass(frozen=True)
class Paired:
    baseline: str
    candidate: str
    units: int
    baseline_rate: float
    candidate_rate: float
    delta: float
    only_baseline: int       # discordant units: passed on the baseline, failed on the candidate
    only_candidate: int      # ... and the other way round
    p_value: float

    @property
    def significantly_below(self) -> bool:
        """The deploy gate's test: worse at GATE_ALPHA and by at least GATE_FLOOR."""
        return self.delta <= -GATE_FLOOR and self.p_value < GATE_ALPHA

    def to_json(self) -> dict:
        return {"baseline": self.baseline, "candidate": self.candidate, "samples": self.units,
                "baseline_pass_rate": round(self.baseline_rate, 4),
                "candidate_pass_rate": round(self.candidate_rate, 4), "delta": round(self.delta, 4),
                "passed_only_on_baseline": self.only_baseline, "passed_only_on_candidate": self.only_candidate,
                "p_value": float(f"{self.p_value:.4g}"), "significantly_below": self.significantly_below,
                "alpha": GATE_ALPHA, "floor": GATE_FLOOR}


def paired(baseline, candidate) -> Paired:
    """McNemar's exact test of two ``EvalResult`` on the same cases and epochs (units matched by case id and
    epoch; units only one side has are left out)."""
    base = {(c.id, i): ok for c in baseline.cases for i, ok in enumerate(_epoch_passes(c))}
    cand = {(c.id, i): ok for c in candidate.cases for i, ok in enumerate(_epoch_passes(c))}
    keys = [k for k in cand if k in base]
    b = sum(base[k] and not cand[k] for k in keys)
    c = sum(cand[k] and not base[k] for k in keys)
    n = len(keys)
    p_value = binomtest(b, b + c, 0.5).pvalue if b + c else 1.0
    rb = sum(base[k] for k in keys) / n if n else 1.0
    rc = sum(cand[k] for k in keys) / n if n else 1.0
    return Paired(baseline.release, candidate.release, n, rb, rc, rc - rb, b, c, float(p_value))
