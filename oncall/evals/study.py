"""Eval statistics measured against the truth (M26): what no eval framework can show, because here the simulator
knows each release's true pass rate (``evals.truth``). 04_learn's cells and ``benchmarks/judge_eval.py`` call
these, so every figure the course states is computed, never pasted.

- ``coverage``: how often the 95 % interval of one sampled run contains the true pass rate, over many seeds
  (Wilson, and the textbook normal interval as the naive baseline).
- ``power_table``: how often the deploy gate's rule (``stats.GATE_ALPHA``, ``stats.GATE_FLOOR``: McNemar on paired
  answers) blocks a candidate whose true pass rate is some points below the baseline's, for a number of cases and
  epochs; on an equal candidate the same figure is the false-block rate.
- ``judge_study``: sampled answers read through the LLM judge; the raw judged rate and the Rogan-Gladen corrected
  rate against the truth, over many seeds of the answers and of the judge's reading of the calibration set.
- ``with_quality_drop``: a release whose prompt costs ``drop`` of quality, to ask the power question of any drop.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from ..service.catalog import Catalog, Prompt, load_catalog
from . import judge as judging
from .stats import GATE_ALPHA, GATE_FLOOR, Z95, wilson
from .truth import CaseTruth, draw_matrix, passes, true_pass_rate, units


def with_quality_drop(release, drop: float, catalog: Catalog | None = None):
    """(release, catalog): ``release`` with a prompt ``drop`` worse (a catalog that knows that prompt)."""
    catalog = catalog or load_catalog()
    base = catalog.prompts[release.prompt]
    name = f"{release.prompt}-minus-{round(100 * drop)}"
    prompts = {**catalog.prompts, name: Prompt(quality_delta=base.quality_delta - drop,
                                               uses_retrieval=base.uses_retrieval)}
    return (release.model_copy(update={"prompt": name, "version": f"{release.version}-minus-{round(100 * drop)}"}),
            catalog.model_copy(update={"prompts": prompts}))


def wald(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The textbook normal interval p +- z sqrt(p(1-p)/n): the naive baseline (it collapses to a point at 0 or n)."""
    p = k / n
    half = z * math.sqrt(p * (1 - p) / n)
    return max(0.0, p - half), min(1.0, p + half)


@dataclass(frozen=True)
class Coverage:
    cases: int
    epochs: int
    seeds: int
    truth: float
    wilson: float                  # share of seeds whose Wilson interval holds the truth
    wald: float                    # ... the naive normal interval's
    worst_seed: int                # the seed whose pass rate is farthest from the truth
    worst_rate: float
    worst_interval: tuple[float, float]


def coverage(truths, release: str, seeds, epochs: int = 1) -> Coverage:
    """Coverage of one sampled run's 95 % interval over ``seeds``."""
    truths = tuple(truths)
    p = true_pass_rate(truths)
    hits_w = hits_n = 0
    worst = (-1.0, 0, 0.0, (0.0, 1.0))
    seeds = list(seeds)
    for seed in seeds:
        u = units(truths, release, seed, epochs)
        k, n = int(u.sum()), u.size
        lo, hi = wilson(k, n)
        hits_w += lo <= p <= hi
        lo_n, hi_n = wald(k, n)
        hits_n += lo_n <= p <= hi_n
        if abs(k / n - p) > worst[0]:
            worst = (abs(k / n - p), seed, k / n, (lo, hi))
    return Coverage(len(truths), epochs, len(seeds), p, hits_w / len(seeds), hits_n / len(seeds), worst[1],
                    worst[2], worst[3])


def gate_blocks(base: np.ndarray, cand: np.ndarray) -> tuple[bool, float, float]:
    """The deploy gate's rule on paired passes (same cases and epochs): (blocked, delta, p-value)."""
    b = int((base & ~cand).sum())
    c = int((cand & ~base).sum())
    delta = (int(cand.sum()) - int(base.sum())) / base.size
    # McNemar's exact test (stats.paired's binomtest at 1/2), two-sided: 2 P(X <= min(b, c)), at most 1
    p = min(1.0, 2.0 * float(binom.cdf(min(b, c), b + c, 0.5))) if b + c else 1.0
    return bool(delta <= -GATE_FLOOR and p < GATE_ALPHA), delta, float(p)


@dataclass(frozen=True)
class Power:
    cases: int
    epochs: int
    seeds: int
    true_drop: float
    blocked: float                 # share of seeds the gate (alpha and the floor) blocks the candidate
    significant: float             # share of seeds McNemar alone says worse at alpha (no floor)
    smallest_seen_drop: float      # the smallest drop one seed's sample showed


def power_table(base: tuple[CaseTruth, ...], base_version: str, candidates: dict, sizes, epochs_list,
                seeds) -> list[tuple[str, Power]]:
    """How often the gate blocks each candidate (``candidates``: label -> (its truths on the same cases, its
    version)) against ``base``, for each number of cases in ``sizes`` (a random subset per seed, the same for
    both releases) and each number of sampled answers per case in ``epochs_list``: (label, Power) rows."""
    seeds, sizes, epochs_list = list(seeds), list(sizes), list(epochs_list)
    most, top = max(epochs_list), max(sizes)
    runs = {(label, n, e): ([], [], []) for label in candidates for n in sizes for e in epochs_list}
    for seed in seeds:
        pick = np.random.default_rng([int(seed), 26]).permutation(len(base))[:top]
        ids = [base[i].id for i in pick]
        cache: dict[str, np.ndarray] = {}

        def sampled(truths, version):
            if version not in cache:     # releases of one version share their draws (run_eval's, too)
                cache[version] = draw_matrix(ids, version, seed, most)
            return passes([truths[i] for i in pick], cache[version])

        b_all = sampled(base, base_version)
        for label, (truths, version) in candidates.items():
            c_all = sampled(truths, version)
            for n in sizes:
                for e in epochs_list:
                    blocked, significant, deltas = runs[(label, n, e)]
                    ok, delta, p = gate_blocks(b_all[:n, :e], c_all[:n, :e])
                    blocked.append(ok)
                    significant.append(delta < 0 and p < GATE_ALPHA)
                    deltas.append(delta)
    drops = {label: true_pass_rate(base) - true_pass_rate(t) for label, (t, _) in candidates.items()}
    return [(label, Power(n, e, len(seeds), drops[label], float(np.mean(bl)), float(np.mean(sg)), -max(dl)))
            for (label, n, e), (bl, sg, dl) in runs.items()]


@dataclass(frozen=True)
class JudgeStudy:
    truth: float
    seeds: int
    n: int
    raw_mean_error: float          # mean of (judged rate - truth): the judge's bias
    corrected_mean_error: float
    raw_mean_abs_error: float
    corrected_mean_abs_error: float
    raw_coverage: float            # the naive Wilson interval on the judged rate: how often it holds the truth
    corrected_coverage: float      # the corrected rate's bootstrap interval
    worst_seed: int                # the seed whose corrected rate is farthest from the truth
    worst_corrected: float


def judge_study(truths, release: str, seeds, judge=None, epochs: int = 1, resamples: int = 400) -> JudgeStudy:
    """Over ``seeds``: sample the answers (seed), read them through the judge (seed), calibrate the judge on the
    calibration set (its reading there drawn with the same seed), correct, and compare with the truth."""
    judge = judge or load_catalog().judge
    truths = tuple(truths)
    p = true_pass_rate(truths)
    items = judging.load_calibration()
    raw_err, cor_err, raw_cov, cor_cov = [], [], 0, 0
    worst = (-1.0, 0, 0.0)
    seeds = list(seeds)
    for seed in seeds:
        u = units(truths, release, seed, epochs)
        judged = [judge.verdict(bool(u[i, e]), seed, release, t.id, e)
                  for i, t in enumerate(truths) for e in range(epochs)]
        k, n = sum(judged), len(judged)
        cal = judging.calibrate(judge, items, seed=seed)
        c = judging.correct_rate(k, n, cal, seed, resamples)
        raw_err.append(k / n - p)
        cor_err.append(c.corrected - p)
        lo, hi = wilson(k, n)
        raw_cov += lo <= p <= hi
        cor_cov += c.ci_low <= p <= c.ci_high
        if abs(c.corrected - p) > worst[0]:
            worst = (abs(c.corrected - p), seed, c.corrected)
    m = len(seeds)
    return JudgeStudy(p, m, len(truths) * epochs, float(np.mean(raw_err)), float(np.mean(cor_err)),
                      float(np.mean(np.abs(raw_err))), float(np.mean(np.abs(cor_err))), raw_cov / m, cor_cov / m,
                      worst[1], worst[2])
