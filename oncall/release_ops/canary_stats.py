"""Canary analysis (M33), the per-metric statistics: Kayenta's MannWhitneyClassifier and where it is improved.

Per metric (reference: release/kayenta_notes.md): a two-sided Mann-Whitney (Wilcoxon rank-sum) test, the
Hodges-Lehmann shift (canary minus baseline) with its confidence interval, the tolerance band of 0.25 x |shift|,
the mean-ratio effect size against the allowed increase/decrease and the metric's bad direction. Beyond Kayenta:

* sparse errors (Kayenta #426): a metric with count columns (errors / requests, slow / requests,
  correct / graded) is judged on the SUMMED counts with Fisher's exact test, two-sided at the same level. Per-minute
  ratios of a rare event are mostly 0 on both sides; a rank test sees ties and goes blind (0 errors in 2,700
  baseline requests against 3 in 140 canary requests "passes" the rank test). Fisher's test is exact at any count
  (a z-test for two proportions is not valid with 0 to 3 events), so it can be used at 5 % weight. The rank
  test's verdict on the same metric is still computed and reported (``rank_classification``) for comparison;
* too little data is never Pass: a metric with fewer than ``min_samples`` samples (rank test) or a denominator
  below ``min_total`` (count test) that shows no significant change is ``nodata``;
* a variance increase (Kayenta #780): latency metrics also get a Brown-Forsythe test (Levene's test around the
  median, robust to skew) at the same level; a significantly wider canary (spread ratio at or above
  ``allowed_dispersion_increase``) is High even when its median did not move;
* a test that rejects is never overruled to Pass by its interval (Kayenta #426 on an export without counts: a
  canary with errors in half its minutes against a baseline with none has a shift interval whose lower bound
  sits on 0, the band's edge, while the rank test's p is 1e-9). A zero-inflated metric (at least half its
  values 0 on one side) is then judged by the share of samples with any non-zero value, Fisher's exact test on
  those two shares; if that test does not reject either, the metric is undecided (``nodata`` with
  ``undecided``), which makes the analysis inconclusive: it holds the weight for more data;
* Holm-Bonferroni across one analysis' metrics (``holm_adjust``, ``holm_levels``);
* for noisy traffic (``canary_config``'s docstring states them): the practical-significance floor tied to the error
  budget (a worse canary by less than the floor is never High/Low) and the absolute SLO guard (a canary whose own
  ratio breaks its SLO, significantly by a one-sided exact binomial test, is High/Low whatever its baseline), both in
  ``classify_counts``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats

from .canary_config import JudgeConfig, MetricSpec

CLASSIFICATIONS = ("pass", "high", "low", "nodata")
ZERO_INFLATED_SHARE = 0.5   # a rank-tested metric with at least this share of 0s on one side is zero-inflated


def hodges_lehmann(canary, baseline) -> float:
    """The Hodges-Lehmann shift: the median of all pairwise differences canary - baseline."""
    c, b = np.asarray(canary, float), np.asarray(baseline, float)
    return float(np.median(np.subtract.outer(c, b)))


def _midranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, tie group sizes): the same midranks as ``scipy.stats.rankdata(values)`` (ties share the mean of
    their ordinal ranks), in plain numpy: the interval's root finding ranks thousands of times per canary."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    new_value = np.empty(len(values), dtype=bool)
    new_value[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
    starts = np.flatnonzero(new_value)
    counts = np.diff(np.append(starts, len(values)))
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(starts + (counts + 1) / 2.0, counts)
    return ranks, counts


def _rank_sum_at(d: float, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(centred rank sum, its standard deviation) of x - d against y, as R's wilcox.test (exact=FALSE) has them."""
    nx, ny = len(x), len(y)
    ranks, ties = _midranks(np.concatenate([x - d, y]))
    dz = ranks[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
    sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - (ties ** 3 - ties).sum() / ((nx + ny) * (nx + ny - 1))))
    return dz, sigma


def _standardised(dz: float, sigma: float, zq: float) -> float:
    if sigma == 0:
        return -zq
    return (dz - np.sign(dz) * 0.5) / sigma - zq


def _wdiff(d: float, x: np.ndarray, y: np.ndarray, zq: float) -> float:
    """R's wilcox.test (exact=FALSE, correct=TRUE) standardised rank sum of x - d against y, minus zq."""
    return _standardised(*_rank_sum_at(d, x, y), zq)


EXACT_MAX_PAIRS = 1_000_000   # above this many pairwise differences, the interval's bounds are root-found


def mann_whitney_interval(canary, baseline, confidence: float = 0.98) -> tuple[float, float]:
    """The confidence interval of the location shift canary - baseline, as R's wilcox.test(conf.int=TRUE,
    exact=FALSE) and Kayenta's MannWhitney.scala compute it: normal approximation with continuity and tie
    correction; each bound is the shift d where the standardised rank sum of canary - d against the baseline
    crosses the normal quantile, looked for between min(x) - max(y) and max(x) - min(y)."""
    lo, _, hi, _ = interval_bounds(canary, baseline, confidence)
    return lo, hi


def interval_bounds(canary, baseline, confidence: float = 0.98,
                    exact_max_pairs: int = EXACT_MAX_PAIRS) -> tuple[float, bool, float, bool]:
    """(low, low_included, high, high_included): ``mann_whitney_interval`` and whether each bound itself lies in
    the interval.

    The statistic only changes where canary - d ties a baseline value, at a pairwise difference x_i - y_j, and is
    constant between two of them. So each bound is the pairwise difference where it crosses, found exactly (R finds
    it by numerical root finding, to a tolerance): the statistic is evaluated once on every gap between the sorted
    differences, where only the ties within each sample count, and at the two ends as R evaluates them. At the
    crossing itself the samples tie, and the test there decides whether the bound belongs to the interval: with a
    Hodges-Lehmann shift of exactly 0 and a bound at 0, that is the difference between High and Pass. Beyond
    ``exact_max_pairs`` differences (a large command-line export) the bounds are root-found as R does, and taken
    as included.

    All of it but the quantile is a function of the two samples alone: a pair judged again at another level (Holm
    re-tests a metric at a stricter one; each canary step's window is judged under every judge config compared)
    reuses it (``_pair``)."""
    x, y = np.asarray(canary, float), np.asarray(baseline, float)
    return _pair(x.tobytes(), y.tobytes(), exact_max_pairs).bounds(_normal_quantile(confidence))


@lru_cache(maxsize=64)
def _normal_quantile(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level (scipy's, computed once per level)."""
    return stats.norm.ppf(1 - (1 - confidence) / 2)


class _Pair:
    """One (canary, baseline) pair of samples as ``interval_bounds`` reads it: the bracket, the sorted pairwise
    differences with the statistic on each gap between them, and the statistic at every shift evaluated so far."""

    def __init__(self, x: np.ndarray, y: np.ndarray, exact_max_pairs: int):
        self.x, self.y = x, y
        nx, ny = len(x), len(y)
        self.lo_d, self.hi_d = float(x.min() - y.max()), float(x.max() - y.min())
        self.gaps = self.steps = None
        self.at: dict[float, tuple[float, float]] = {}
        if nx * ny <= exact_max_pairs:
            steps, pairs = np.unique(np.subtract.outer(x, y), return_counts=True)   # sorted pairwise differences
            # On the gap just above steps[k], (x_i - d) > y_j for the pairs whose difference is above it. No value
            # of one sample ties one of the other there, so only the ties within x and within y enter the variance
            # (which is then never 0).
            dz = nx * ny - np.cumsum(pairs)[:-1] - nx * ny / 2
            ties = np.concatenate([np.unique(x, return_counts=True)[1], np.unique(y, return_counts=True)[1]])
            sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - (ties ** 3 - ties).sum() / ((nx + ny) * (nx + ny - 1))))
            self.steps, self.gaps = steps, (dz - np.sign(dz) * 0.5) / sigma

    def wdiff(self, d: float, zq: float) -> float:
        """``_wdiff(d, x, y, zq)``, the rank sum at ``d`` computed once."""
        if d not in self.at:
            self.at[d] = _rank_sum_at(d, self.x, self.y)
        return _standardised(*self.at[d], zq)

    def root(self, zq: float) -> tuple[float, bool]:
        # The interval is where the statistic lies between -z and z: below zq (lower bound, zq = z) or above zq
        # (upper bound, zq = -z); _wdiff is the statistic minus zq, and it falls as d grows.
        lo_d, hi_d = self.lo_d, self.hi_d
        if self.wdiff(lo_d, zq) <= 0:
            return lo_d, True
        if self.wdiff(hi_d, zq) >= 0:
            return hi_d, True
        if self.gaps is None:
            from scipy import optimize

            return float(optimize.brentq(_wdiff, lo_d, hi_d, args=(self.x, self.y, zq), xtol=1e-10)), True
        below = np.flatnonzero(self.gaps - zq < 0)   # the gaps above the crossing
        step = float(self.steps[below[0]]) if len(below) else hi_d
        at_step = self.wdiff(step, zq)
        return step, bool(at_step <= 0 if zq > 0 else at_step >= 0)

    def bounds(self, z: float) -> tuple[float, bool, float, bool]:
        (lo, lo_in), (hi, hi_in) = self.root(z), self.root(-z)
        return lo, lo_in, hi, hi_in


@lru_cache(maxsize=1024)
def _pair(x_bytes: bytes, y_bytes: bytes, exact_max_pairs: int) -> _Pair:
    return _Pair(np.frombuffer(x_bytes), np.frombuffer(y_bytes), exact_max_pairs)


@dataclass(frozen=True)
class MetricResult:
    name: str
    classification: str                   # pass, high, low, nodata
    critical: bool
    test: str                             # mann-whitney, fisher-exact, identical, none
    baseline: float                       # the baseline's value: mean, or pooled ratio for counts
    canary: float
    shift: float | None                   # Hodges-Lehmann shift, or difference of pooled ratios
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    effect_size: float | None             # mean ratio (or ratio of pooled ratios) canary / baseline
    n_baseline: int                       # samples (rank) or summed denominator (counts)
    n_canary: int
    reason: str
    rank_classification: str | None = None  # counts only: what the rank test alone would say (Kayenta)
    p_adjusted: float | None = None       # Holm-adjusted p-value across the analysis' metrics (correction: holm)
    undecided: bool = False               # nodata because its test rejects but cannot say by how much (inconclusive)
    floor: float | None = None            # the practical-significance floor applied (floor_budget_pct), or None
    slo_limit: float | None = None        # the SLO guard: the ratio the SLO allows (at most / at least), or None
    slo_p: float | None = None            # ... its one-sided exact binomial p-value for the canary
    slo_at_most: bool = True              # ... the limit is a most (a bad ratio) or a least (a good ratio)
    slo_broken: bool = False              # ... the canary's own ratio breaks the SLO (significantly)
    baseline_slo_broken: bool = False     # ... so does the baseline's (reported; it never passes a canary)

    def to_dict(self) -> dict:
        def r(v):
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6)

        extra = {}
        if self.floor is not None:
            extra["floor"] = r(self.floor)
        if self.slo_limit is not None:
            extra["slo"] = {"limit": r(self.slo_limit), "at_most": self.slo_at_most, "p_value": r(self.slo_p), "canary_broken": self.slo_broken,
                            "baseline_broken": self.baseline_slo_broken}
        return extra | {"name": self.name, "classification": self.classification, "critical": self.critical,
                "test": self.test, "baseline": r(self.baseline), "canary": r(self.canary), "shift": r(self.shift),
                "ci": None if self.ci_low is None else [r(self.ci_low), r(self.ci_high)],
                "p_value": r(self.p_value), "effect_size": r(self.effect_size), "n_baseline": self.n_baseline,
                "n_canary": self.n_canary, "rank_classification": self.rank_classification,
                "p_adjusted": r(self.p_adjusted), "reason": self.reason}


def _mean_ratio(c: float, b: float) -> float:
    """Kayenta's meanRatio: NaN when either mean is 0."""
    return float("nan") if c == 0 or b == 0 else c / b


def _call(direction: str, up: bool, down: bool, effect: float, spec: MetricSpec) -> str:
    """High/Low/Pass from the significance in each direction and the effect size (NaN lets it through)."""
    if up and direction in ("increase", "either") and (math.isnan(effect) or effect >= spec.allowed_increase):
        return "high"
    if down and direction in ("decrease", "either") and (math.isnan(effect) or effect <= spec.allowed_decrease):
        return "low"
    return "pass"


def classify_rank(spec: MetricSpec, baseline, canary, config: JudgeConfig = JudgeConfig(),
                  alpha: float | None = None) -> MetricResult:
    """Kayenta's MannWhitneyClassifier on two samples (NaNs removed, its default nanStrategy). ``alpha`` (default
    1 - confidence) is the significance level of this metric's test; the interval is at 1 - alpha."""
    alpha = 1 - config.confidence if alpha is None else alpha
    b = np.asarray(baseline, float)
    c = np.asarray(canary, float)
    b, c = b[~np.isnan(b)], c[~np.isnan(c)]
    # A function of the spec, the band's tolerance (all it reads of the config), the level and the samples alone,
    # remembered on their exact values (repr tells 10 from 10.0): a sweep judges the same window again under
    # every judge config it compares.
    key = (repr(spec), repr(config.tolerance), repr(alpha), b.tobytes(), c.tobytes())
    if key not in _RANKED:
        _RANKED[key] = _classify_rank(spec, config.tolerance, alpha, b, c)
        if len(_RANKED) > _RANKED_KEPT:
            _RANKED.pop(next(iter(_RANKED)))
    return _RANKED[key]


_RANKED: dict = {}   # classify_rank's last results, on the exact inputs
_RANKED_KEPT = 2048


def _classify_rank(spec: MetricSpec, tolerance: float, alpha: float, b: np.ndarray, c: np.ndarray) -> MetricResult:
    nb, nc = len(b), len(c)
    if nb == 0 or nc == 0:
        return MetricResult(spec.name, "nodata", spec.critical, "none", _mean(b), _mean(c), None, None, None, None,
                            None, nb, nc, "no data on " + ("either side" if nb == nc == 0 else
                                                           "the baseline" if nb == 0 else "the canary"))
    mb, mc = float(b.mean()), float(c.mean())
    effect = _mean_ratio(mc, mb)
    if np.array_equal(np.sort(b), np.sort(c)) or (np.ptp(b) == 0 and np.ptp(c) == 0 and b[0] == c[0]):
        if nb < spec.min_samples or nc < spec.min_samples:
            return MetricResult(spec.name, "nodata", spec.critical, "identical", mb, mc, 0.0, 0.0, 0.0, 1.0, effect,
                                nb, nc, f"identical but too few samples ({nc}; at least {spec.min_samples})")
        return MetricResult(spec.name, "pass", spec.critical, "identical", mb, mc, 0.0, 0.0, 0.0, 1.0, effect, nb, nc,
                            "the samples are identical")
    shift = hodges_lehmann(c, b)
    if np.ptp(b) == 0 and np.ptp(c) == 0:
        # Both constant and different: the shift is certain (Kayenta adds 1e-5 noise to get the same answer).
        lo = hi = shift
        lo_in = hi_in = True
        p = 0.0
    else:
        lo, lo_in, hi, hi_in = interval_bounds(c, b, 1 - alpha)
        p = _p_value("mannwhitneyu", c, b)
    band = tolerance * abs(shift)
    # The interval's bounds are clamped to [min(x) - max(y), max(x) - min(y)] (R's root bracket), so at tiny n
    # it can exclude 0 where the test itself is not significant: we also require the p-value.
    significant = p < alpha
    # A bound that is not itself in the interval excludes the band's edge too (all the interval lies beyond it).
    up = significant and (lo > band or (lo == band and not lo_in))
    down = significant and (hi < -band or (hi == -band and not hi_in))
    cls = _call(spec.direction, up, down, effect, spec)
    test = "mann-whitney"
    # Say so where an excluded bound decides the call: it sits exactly on the band's edge (a shift of 0, a bound of 0).
    ends = [f"{v:.4g}" + (" (excluded)" if not included and v == edge else "")
            for v, included, edge in ((lo, lo_in, band), (hi, hi_in, -band))]
    reason = (f"shift {shift:.4g} ({100 * (1 - alpha):.4g} % CI {ends[0]} to {ends[1]}, band +-{band:.4g}), "
              f"mean ratio {effect:.3g}")
    undecided = False
    if cls == "pass" and significant:
        # What the test alone says, by the side its ranks moved to: a rejection in the bad direction must not end
        # as Pass because the interval reaches into the band.
        rank_up = _rank_moved_up(c, b)
        rejected = _call(spec.direction, rank_up, not rank_up, effect, spec)
        if rejected != "pass":
            cls, test, reason, undecided = _rejected_in_band(rejected, b, c, p, alpha, reason)
    if cls == "pass" and spec.dispersion and nb >= 3 and nc >= 3 and (np.ptp(b) > 0 or np.ptp(c) > 0):
        cls, extra = _dispersion(b, c, spec, alpha)
        if cls == "high":
            test, reason = "brown-forsythe", extra + "; " + reason
    if cls == "pass" and (nb < spec.min_samples or nc < spec.min_samples):
        cls, reason = "nodata", (f"too few samples to judge ({nc} canary, {nb} baseline; at least "
                                 f"{spec.min_samples} each) and no significant change: " + reason)
    return MetricResult(spec.name, cls, spec.critical, test, mb, mc, shift, lo, hi, p, effect, nb, nc, reason,
                        undecided=undecided)


def _rank_moved_up(c: np.ndarray, b: np.ndarray) -> bool:
    """Do the canary's values rank above the baseline's (its Mann-Whitney U above half the pairs)?"""
    ranks, _ = _midranks(np.concatenate([c, b]))
    return ranks[:len(c)].sum() - len(c) * (len(c) + 1) / 2 > len(c) * len(b) / 2


def _rejected_in_band(rejected: str, b: np.ndarray, c: np.ndarray, p: float, alpha: float,
                      reason: str) -> tuple[str, str, str, bool]:
    """(classification, test, reason, undecided) for a rank test that rejects in the metric's bad direction while
    the shift's interval reaches into the band: never Pass. A zero-inflated metric is judged by the share of samples
    with any non-zero value (Fisher's exact test on the two shares); otherwise, or if that does not reject, no
    verdict (nodata, undecided)."""
    rank_says = f"the rank test rejects (p {p:.2g}) but the shift's interval reaches into the band: " + reason
    zeros_b, zeros_c = int((b == 0).sum()), int((c == 0).sum())
    if max(zeros_b / len(b), zeros_c / len(c)) >= ZERO_INFLATED_SHARE:
        any_b, any_c = len(b) - zeros_b, len(c) - zeros_c
        share_p = _fisher_p(any_c, zeros_c, any_b, zeros_b)
        share_up = any_c / len(c) > any_b / len(b)
        shares = (f"{any_c} of {len(c)} canary samples non-zero vs {any_b} of {len(b)} baseline, "
                  f"Fisher exact p {share_p:.2g}")
        if share_p < alpha and share_up == (rejected == "high"):
            return rejected, "fisher-exact (samples with any)", f"zero-inflated: {shares}; {rank_says}", False
        rank_says = f"zero-inflated, {shares}; {rank_says}"
    return "nodata", "mann-whitney", f"no verdict (holds for more data): {rank_says}", True


def _dispersion(b: np.ndarray, c: np.ndarray, spec: MetricSpec, alpha: float) -> tuple[str, str]:
    """Brown-Forsythe: is the canary significantly more spread out (variance increase, Kayenta #780)?"""
    p = _p_value("levene", c, b)
    spread_b = float(np.median(np.abs(b - np.median(b))))
    spread_c = float(np.median(np.abs(c - np.median(c))))
    ratio = spread_c / spread_b if spread_b > 0 else float("inf")
    if p < alpha and ratio >= spec.allowed_dispersion_increase:
        return "high", f"variance increase: spread (MAD) x{ratio:.2f}, Brown-Forsythe p {p:.2g}"
    return "pass", ""


def classify_counts(spec: MetricSpec, bad_b: int, total_b: int, bad_c: int, total_c: int,
                    config: JudgeConfig = JudgeConfig(), alpha: float | None = None) -> MetricResult:
    """A ratio metric judged on summed counts: Fisher's exact test (two-sided, at the judge's confidence) on the
    2x2 table, with the ratio of pooled ratios as the effect size. Exact at any count, so sparse errors against a
    clean baseline (Kayenta #426) are caught; with too small a denominator and no significant change: nodata."""
    alpha = 1 - config.confidence if alpha is None else alpha
    bad_b, total_b, bad_c, total_c = int(bad_b), int(total_b), int(bad_c), int(total_c)
    if total_b == 0 or total_c == 0:
        return MetricResult(spec.name, "nodata", spec.critical, "none", float("nan"), float("nan"), None, None, None,
                            None, None, total_b, total_c, "no events on " + ("the baseline" if total_b == 0
                                                                             else "the canary"))
    rb, rc = bad_b / total_b, bad_c / total_c
    p = _fisher_p(bad_c, total_c - bad_c, bad_b, total_b - bad_b)
    effect = _mean_ratio(rc, rb)
    significant = p < alpha
    cls = _call(spec.direction, significant and rc > rb, significant and rc < rb, effect, spec)
    reason = (f"{bad_c}/{total_c} canary vs {bad_b}/{total_b} baseline ({100 * rc:.3g} % vs {100 * rb:.3g} %), "
              f"Fisher exact p {p:.2g}")
    floor = config.floor_for(spec)
    if floor is not None and cls in ("high", "low") and abs(rc - rb) < floor:
        cls, reason = "pass", (f"worse by {100 * abs(rc - rb):.3g} points, under the practical floor of "
                               f"{100 * floor:.3g} ({config.floor_budget_pct:g} % of the error budget over the "
                               f"{config.canary_window_min} min canary): " + reason)
    if cls == "pass" and min(total_b, total_c) < spec.min_total:
        cls, reason = "nodata", (f"too little traffic to judge (at least {spec.min_total} on each side) and no "
                                 f"significant change: " + reason)
    guard = {}
    if config.slo_guard and spec.slo_objective is not None:
        limit, slo_p, broken, base_broken = _slo_guard(spec, bad_b, total_b, bad_c, total_c, alpha)
        guard = {"slo_limit": limit, "slo_p": slo_p, "slo_broken": broken, "baseline_slo_broken": base_broken,
                 "slo_at_most": spec.direction == "increase"}
        if broken:
            cls = "high" if spec.direction == "increase" else "low"
            word = "at most" if spec.direction == "increase" else "at least"
            reason = (f"breaks its SLO: {100 * rc:.3g} % where the SLO allows {word} {100 * limit:.3g} % (one-sided "
                      f"exact binomial p {slo_p:.2g}" + (", the baseline breaks it too" if base_broken else "")
                      + "); " + reason)
    return MetricResult(spec.name, cls, spec.critical, "fisher-exact", rb, rc, rc - rb, None, None, p, effect,
                        total_b, total_c, reason, floor=floor, **guard)


def _slo_guard(spec: MetricSpec, bad_b: int, total_b: int, bad_c: int, total_c: int,
               alpha: float) -> tuple[float, float, bool, bool]:
    """(limit, p, canary broken, baseline broken): is each side's own ratio significantly worse than the SLO allows?
    A bad ratio (direction increase) may be at most 1 - objective: p = P(X >= bad) for X ~ Binomial(total, limit);
    a good ratio (decrease) at least the objective: p = P(X <= good). Broken when p < alpha."""
    increase = spec.direction == "increase"
    limit = 1 - spec.slo_objective if increase else spec.slo_objective
    p_c = _binomial_p(bad_c, total_c, limit, increase)
    return limit, p_c, p_c < alpha, _binomial_p(bad_b, total_b, limit, increase) < alpha


@lru_cache(maxsize=4096)
def _binomial_p(k: int, n: int, limit: float, increase: bool) -> float:
    """scipy's one-sided exact binomial p of ``k`` events in ``n`` against ``limit``: P(X >= k) (``increase``) or
    P(X <= k); computed once per count (every judge config a sweep compares tests the same window)."""
    if n == 0:
        return 1.0
    return float(stats.binom.sf(k - 1, n, limit) if increase else stats.binom.cdf(k, n, limit))


def _p_value(test: str, c: np.ndarray, b: np.ndarray) -> float:
    """scipy's two-sided p-value of ``test`` (mannwhitneyu, asymptotic; levene, Brown-Forsythe's median centre) for
    canary c against baseline b (float arrays). Holm re-judges a metric at a stricter level with the same samples,
    so each pair of samples is tested once."""
    return _p_value_of(test, c.tobytes(), b.tobytes())


@lru_cache(maxsize=512)
def _p_value_of(test: str, c_bytes: bytes, b_bytes: bytes) -> float:
    c, b = np.frombuffer(c_bytes), np.frombuffer(b_bytes)
    if test == "mannwhitneyu":
        return _mann_whitney_p(c, b)
    return float(stats.levene(c, b, center="median").pvalue)


def _mann_whitney_p(c: np.ndarray, b: np.ndarray) -> float:
    """``scipy.stats.mannwhitneyu(c, b, alternative="two-sided", method="asymptotic").pvalue``, bit for bit: the
    same midranks, tie correction, continuity correction and normal tail (``special.ndtr``), in the same order of
    operations, without the wrapper's checks and broadcasting (most of its cost on a canary's few dozen samples;
    tests/test_canary.py compares the two)."""
    dz, s = _rank_sum_at(0.0, c, b)        # U1 - n1 n2 / 2 and its tie-corrected sd, as scipy has them
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (abs(dz) - 0.5) / np.float64(s)   # scipy's max(U1, U2) - n1 n2 / 2, continuity-corrected
    return float(np.clip(special.ndtr(-z) * 2, 0.0, 1.0))


@lru_cache(maxsize=512)
def _fisher_p(bad_c: int, good_c: int, bad_b: int, good_b: int) -> float:
    """scipy's two-sided Fisher exact p-value of the 2x2 table [[bad_c, good_c], [bad_b, good_b]]."""
    return float(stats.fisher_exact([[bad_c, good_c], [bad_b, good_b]]).pvalue)


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if len(a) else float("nan")


def holm_adjust(p_values) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order: sorted ascending, the i-th smallest of m (1-based)
    becomes max over j <= i of min(1, (m - j + 1) p_(j)). Reject where adjusted p < alpha."""
    p = [float(v) for v in p_values]
    m, out, running = len(p), [0.0] * len(p), 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda k: p[k])):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def holm_levels(p_values, alpha: float) -> list[float]:
    """The level each p-value is tested at under Holm-Bonferroni's step-down, in the input order (p < level
    rejects; the same decisions as holm_adjust(p) < alpha). Sorted ascending, the i-th smallest of m is tested at
    alpha / (m - i + 1) while every smaller p-value was rejected; from the first one that is not, every larger
    p-value keeps that failed level, which it cannot beat. With one metric this is plain alpha."""
    p = [float(v) for v in p_values]
    m, out, failed = len(p), [0.0] * len(p), None
    for rank, i in enumerate(sorted(range(m), key=lambda k: p[k])):
        level = alpha / (m - rank) if failed is None else failed
        if failed is None and not p[i] < level:
            failed = level
        out[i] = level
    return out
