"""Canary analysis (M33): a Kayenta-style judge and an Argo-style canary rollout, pure logic over DataFrames.

The judge does what Spinnaker Kayenta's NetflixACAJudge does, per metric (reference: release/kayenta_notes.md):
a two-sided Mann-Whitney (Wilcoxon rank-sum) test at 98 % confidence, the Hodges-Lehmann shift (canary minus
baseline) with its confidence interval, the tolerance band of 0.25 x |shift|, the mean-ratio effect size against
the allowed increase/decrease, the metric's bad direction, critical metrics and no-data handling; the score is
100 x passing / counted metrics, pass at 95 or more, fail at 75 or less, marginal between.

Where Kayenta's users were hurt, it does better:

* sparse errors (Kayenta #426): a metric with count columns (errors / requests, slow / requests,
  correct / graded) is judged on the SUMMED counts with Fisher's exact test, two-sided at the same 98 %. Per-minute
  ratios of a rare event are mostly 0 on both sides; a rank test sees ties and goes blind (0 errors in 2,700
  baseline requests against 3 in 140 canary requests "passes" the rank test). Fisher's test is exact at any count
  (a z-test for two proportions is not valid with 0 to 3 events), so it can be used at 5 % weight. The rank
  test's verdict on the same metric is still computed and reported (``rank_classification``) for comparison;
* too little data is never Pass: a metric with fewer than ``min_samples`` samples (rank test) or a denominator
  below ``min_total`` (count test) that shows no significant change is ``nodata``; a critical metric in nodata,
  or half the metrics, makes the verdict ``inconclusive``, which holds the weight and never promotes;
* a variance increase (Kayenta #780): latency metrics also get a Brown-Forsythe test (Levene's test around the
  median, robust to skew) at the same confidence; a significantly wider canary (spread ratio at or above
  ``allowed_dispersion_increase``) is High even when its median did not move.
* multiple comparisons: Kayenta runs every metric of every analysis at 98 %, so a healthy canary with 4 metrics
  over 3+ analyses is aborted far more often than 2 % of the time (7 % of seeds in benchmarks/canary_false_red.py).
  Here 1 - confidence is the false-abort budget of the whole canary: ``rollout_correction: bonferroni`` splits it
  evenly over the planned steps (``analysis_config_for``) and ``correction: holm`` shares each analysis' share
  among its metrics (Holm-Bonferroni step-down on the per-metric p-values; ``p_adjusted`` in the JSON). One
  metric's strong regression still fails at once; a borderline p-value among several metrics no longer does.
  ``none`` for both gives back Kayenta's per-test level.

The rollout (``run_canary``) follows Argo Rollouts' canary steps: set weight, pause one analysis interval, analyse.
Limits use Argo's strict semantics: the canary aborts when failed intervals > ``failure_limit`` (0 by default, so
the first interval at or below the marginal score aborts at once, as Kayenta's fail-fast) and pauses when
inconclusive analyses > ``inconclusive_limit``. (Flagger counts failedChecks >= threshold: Flagger's threshold 1
is Argo's failureLimit 0.) We chose Argo's form because "limit = how many failures are tolerated" reads the
same for both limits, and because the test in its source pins it down where the prose is off by one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from .. import yamlsafe

DIRECTIONS = ("increase", "decrease", "either")
CLASSIFICATIONS = ("pass", "high", "low", "nodata")
VERDICTS = ("pass", "marginal", "fail", "inconclusive")
COUNT_COLUMNS = ("requests", "errors")   # the optional count columns of a metric export


# --- configuration ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MetricSpec:
    """How one metric is judged. ``counts`` = (numerator, denominator) columns: judged on summed counts."""

    name: str
    direction: str = "either"             # the bad direction: increase, decrease or either
    critical: bool = False                # not Pass -> the whole score is 0 (Kayenta)
    allowed_increase: float = 1.0         # mean ratio canary/baseline needed to call High (Kayenta default 1.0)
    allowed_decrease: float = 1.0         # mean ratio needed to call Low
    counts: tuple[str, str] | None = None
    dispersion: bool = False              # also test for a variance increase (#780)
    allowed_dispersion_increase: float = 1.5
    min_samples: int = 10                 # rank test: samples per side (below: nodata unless significant)
    min_total: int = 100                  # count test: summed denominator per side


@dataclass(frozen=True)
class JudgeConfig:
    confidence: float = 0.98              # NetflixACAJudge overrides the classifier's 0.95 with 0.98
    tolerance: float = 0.25               # the band +-0.25 x |Hodges-Lehmann shift|
    pass_score: float = 95
    marginal_score: float = 75
    nodata_share: float = 0.5             # >= 50 % of metrics with no data -> no verdict (Kayenta: score 0)
    correction: str = "holm"              # across the metrics of one analysis: holm (family-wise) or none (Kayenta)
    rollout_correction: str = "bonferroni"  # across the rollout's planned steps: bonferroni (1 - confidence split
                                            # evenly over the steps) or none (each analysis at 1 - confidence)
    metrics: dict = field(default_factory=dict)   # name -> MetricSpec; other columns get name-based defaults
    ignore: tuple = ()                    # columns that are neither metrics nor counts (e.g. minute)
    # the rollout
    steps: tuple = (5, 25, 50)            # canary weights in %, each with one analysis interval; then 100 %
    interval_min: int = 10
    failure_limit: int = 0                # abort when failed intervals > failure_limit (Argo, strict)
    inconclusive_limit: int = 3           # pause when inconclusive analyses at one step > this limit

    def spec_for(self, name: str, columns) -> MetricSpec:
        """The configured spec, or the name's default: error_ratio, latency* and quality know their direction."""
        if name in self.metrics:
            return self.metrics[name]
        return default_spec(name, columns)


def default_spec(name: str, columns=()) -> MetricSpec:
    lower = name.lower()
    if lower == "error_ratio":
        counts = ("errors", "requests") if {"errors", "requests"} <= set(columns) else None
        return MetricSpec(name, "increase", critical=True, counts=counts)
    if lower.startswith("latency"):
        return MetricSpec(name, "increase", dispersion=True)
    if lower == "quality":
        return MetricSpec(name, "decrease", critical=True)
    return MetricSpec(name)


class ConfigError(ValueError):
    """A bad judge config: ``field`` names the key."""

    def __init__(self, field: str, expected: str):
        self.field, self.expected = field, expected
        super().__init__(f"{field}: {expected}")


_SPEC_KEYS = {"direction", "critical", "allowed_increase", "allowed_decrease", "counts", "dispersion",
              "allowed_dispersion_increase", "min_samples", "min_total"}
_TOP_KEYS = {"confidence", "tolerance", "pass_score", "marginal_score", "nodata_share", "metrics", "steps",
             "interval_min", "failure_limit", "inconclusive_limit", "ignore", "correction", "rollout_correction"}
CORRECTIONS = {"correction": ("holm", "none"), "rollout_correction": ("bonferroni", "none")}


def config_from_dict(doc: dict | None) -> JudgeConfig:
    """Validate a judge config document (the YAML's mapping); ConfigError names the first bad field."""
    doc = doc or {}
    if not isinstance(doc, dict):
        raise ConfigError("(top)", "expected a mapping")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ConfigError(unknown[0], "unknown field")
    top = {}
    for key in ("confidence", "tolerance", "pass_score", "marginal_score", "nodata_share"):
        if key in doc:
            top[key] = _number(doc[key], key)
    if not 0.5 < top.get("confidence", 0.98) < 1:
        raise ConfigError("confidence", "expected a number strictly between 0.5 and 1")
    for key in ("interval_min", "failure_limit", "inconclusive_limit"):
        if key in doc:
            value = doc[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "interval_min" else 0):
                raise ConfigError(key, f"expected a whole number (got {value!r})")
            top[key] = value
    if "steps" in doc:
        steps = doc["steps"]
        if (not isinstance(steps, list) or not steps
                or not all(isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s < 100 for s in steps)
                or list(steps) != sorted(set(steps))):
            raise ConfigError("steps", "expected increasing weights in % strictly between 0 and 100, like [5, 25, 50]")
        top["steps"] = tuple(steps)
    for key, allowed in CORRECTIONS.items():
        if key in doc:
            if doc[key] not in allowed:
                raise ConfigError(key, f"expected one of {', '.join(allowed)} (got {doc[key]!r})")
            top[key] = doc[key]
    if "ignore" in doc:
        if not isinstance(doc["ignore"], list):
            raise ConfigError("ignore", "expected a list of column names")
        top["ignore"] = tuple(str(c) for c in doc["ignore"])
    metrics = {}
    for name, body in (doc.get("metrics") or {}).items():
        where = f"metrics.{name}"
        if not isinstance(body, dict):
            raise ConfigError(where, "expected a mapping")
        bad = sorted(set(body) - _SPEC_KEYS)
        if bad:
            raise ConfigError(f"{where}.{bad[0]}", "unknown field")
        kw = dict(body)
        if kw.get("direction", "either") not in DIRECTIONS:
            raise ConfigError(f"{where}.direction", f"unknown direction {kw['direction']!r}; expected one of "
                                                    f"{', '.join(DIRECTIONS)}")
        for key in ("allowed_increase", "allowed_decrease", "allowed_dispersion_increase"):
            if key in kw:
                kw[key] = _number(kw[key], f"{where}.{key}")
        if "counts" in kw:
            c = kw["counts"]
            if not (isinstance(c, dict) and set(c) == {"numerator", "denominator"}):
                raise ConfigError(f"{where}.counts", "expected {numerator: COLUMN, denominator: COLUMN}")
            kw["counts"] = (str(c["numerator"]), str(c["denominator"]))
        for key in ("critical", "dispersion"):
            if key in kw and not isinstance(kw[key], bool):
                raise ConfigError(f"{where}.{key}", f"expected true or false (got {kw[key]!r})")
        metrics[str(name)] = MetricSpec(name=str(name), **kw)
    return JudgeConfig(metrics=metrics, **top)


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(field, f"expected a number (got {value!r})")
    return float(value)


def load_config(path: str | Path) -> JudgeConfig:
    return config_from_dict(yamlsafe.safe_load(Path(path).read_text(encoding="utf-8")))


# --- the per-metric statistics -----------------------------------------------------------------------------------

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


def _wdiff(d: float, x: np.ndarray, y: np.ndarray, zq: float) -> float:
    """R's wilcox.test (exact=FALSE, correct=TRUE) standardised rank sum of x - d against y, minus zq."""
    nx, ny = len(x), len(y)
    ranks, ties = _midranks(np.concatenate([x - d, y]))
    dz = ranks[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
    sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - (ties ** 3 - ties).sum() / ((nx + ny) * (nx + ny - 1))))
    if sigma == 0:
        return -zq
    return (dz - np.sign(dz) * 0.5) / sigma - zq


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
    as included."""
    x, y = np.asarray(canary, float), np.asarray(baseline, float)
    nx, ny = len(x), len(y)
    lo_d, hi_d = float(x.min() - y.max()), float(x.max() - y.min())
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    gaps = None
    if nx * ny <= exact_max_pairs:
        steps, pairs = np.unique(np.subtract.outer(x, y), return_counts=True)   # sorted pairwise differences
        # On the gap just above steps[k], (x_i - d) > y_j for the pairs whose difference is above it. No value of
        # one sample ties one of the other there, so only the ties within x and within y enter the variance (which
        # is then never 0).
        dz = nx * ny - np.cumsum(pairs)[:-1] - nx * ny / 2
        ties = np.concatenate([np.unique(x, return_counts=True)[1], np.unique(y, return_counts=True)[1]])
        sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - (ties ** 3 - ties).sum() / ((nx + ny) * (nx + ny - 1))))
        gaps = (dz - np.sign(dz) * 0.5) / sigma

    def root(zq: float) -> tuple[float, bool]:
        # The interval is where the statistic lies between -z and z: below zq (lower bound, zq = z) or above zq
        # (upper bound, zq = -z); _wdiff is the statistic minus zq, and it falls as d grows.
        if _wdiff(lo_d, x, y, zq) <= 0:
            return lo_d, True
        if _wdiff(hi_d, x, y, zq) >= 0:
            return hi_d, True
        if gaps is None:
            from scipy import optimize

            return float(optimize.brentq(_wdiff, lo_d, hi_d, args=(x, y, zq), xtol=1e-10)), True
        below = np.flatnonzero(gaps - zq < 0)   # the gaps above the crossing
        step = float(steps[below[0]]) if len(below) else hi_d
        at_step = _wdiff(step, x, y, zq)
        return step, bool(at_step <= 0 if zq > 0 else at_step >= 0)

    (lo, lo_in), (hi, hi_in) = root(z), root(-z)
    return lo, lo_in, hi, hi_in


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

    def to_dict(self) -> dict:
        def r(v):
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6)

        return {"name": self.name, "classification": self.classification, "critical": self.critical,
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
    band = config.tolerance * abs(shift)
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
    if cls == "pass" and spec.dispersion and nb >= 3 and nc >= 3 and (np.ptp(b) > 0 or np.ptp(c) > 0):
        cls, extra = _dispersion(b, c, spec, alpha)
        if cls == "high":
            test, reason = "brown-forsythe", extra + "; " + reason
    if cls == "pass" and (nb < spec.min_samples or nc < spec.min_samples):
        cls, reason = "nodata", (f"too few samples to judge ({nc} canary, {nb} baseline; at least "
                                 f"{spec.min_samples} each) and no significant change: " + reason)
    return MetricResult(spec.name, cls, spec.critical, test, mb, mc, shift, lo, hi, p, effect, nb, nc, reason)


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
    if cls == "pass" and min(total_b, total_c) < spec.min_total:
        cls, reason = "nodata", (f"too little traffic to judge (at least {spec.min_total} on each side) and no "
                                 f"significant change: " + reason)
    return MetricResult(spec.name, cls, spec.critical, "fisher-exact", rb, rc, rc - rb, None, None, p, effect,
                        total_b, total_c, reason)


def _p_value(test: str, c: np.ndarray, b: np.ndarray) -> float:
    """scipy's two-sided p-value of ``test`` (mannwhitneyu, asymptotic; levene, Brown-Forsythe's median centre) for
    canary c against baseline b (float arrays). Holm re-judges a metric at a stricter level with the same samples,
    so each pair of samples is tested once."""
    return _p_value_of(test, c.tobytes(), b.tobytes())


@lru_cache(maxsize=512)
def _p_value_of(test: str, c_bytes: bytes, b_bytes: bytes) -> float:
    c, b = np.frombuffer(c_bytes), np.frombuffer(b_bytes)
    if test == "mannwhitneyu":
        return float(stats.mannwhitneyu(c, b, alternative="two-sided", method="asymptotic").pvalue)
    return float(stats.levene(c, b, center="median").pvalue)


@lru_cache(maxsize=512)
def _fisher_p(bad_c: int, good_c: int, bad_b: int, good_b: int) -> float:
    """scipy's two-sided Fisher exact p-value of the 2x2 table [[bad_c, good_c], [bad_b, good_b]]."""
    return float(stats.fisher_exact([[bad_c, good_c], [bad_b, good_b]]).pvalue)


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if len(a) else float("nan")


# --- the judgment over all metrics -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Judgment:
    score: float
    verdict: str                          # pass, marginal, fail, inconclusive
    metrics: tuple
    reason: str

    def to_dict(self) -> dict:
        return {"score": round(self.score, 2), "verdict": self.verdict, "reason": self.reason,
                "metrics": [m.to_dict() for m in self.metrics]}

    def metric(self, name: str) -> MetricResult:
        return next(m for m in self.metrics if m.name == name)


def metric_names(columns, config: JudgeConfig) -> list[str]:
    """The metric columns of an export: every column except count columns named by a metric or the defaults."""
    counted = ({c for spec in config.metrics.values() if spec.counts for c in spec.counts} | set(COUNT_COLUMNS)
               | set(config.ignore))
    names = [c for c in columns if c not in counted]
    names += [n for n in config.metrics if n not in names and config.metrics[n].counts
              and set(config.metrics[n].counts) <= set(columns)]
    return names


def judge(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig()) -> Judgment:
    """Judge every metric of ``canary`` against ``baseline`` (one column per metric, one row per sample).

    With ``correction: holm`` the metrics of this one analysis are one family: each metric's test runs at the
    Holm-Bonferroni level of its p-value (``holm_levels``), so the chance that a canary no worse than the baseline
    gets ANY metric called High/Low stays at most 1 - confidence, instead of growing with the number of metrics."""
    names = metric_names(canary.columns, config)
    results = [_judge_metric(name, baseline, canary, config, None) for name in names]
    if config.correction == "holm":
        tested = [i for i, r in enumerate(results) if r.p_value is not None]
        p_values = [results[i].p_value for i in tested]
        alpha = 1 - config.confidence
        for i, level, adjusted in zip(tested, holm_levels(p_values, alpha), holm_adjust(p_values)):
            r = results[i] if level >= alpha else _judge_metric(names[i], baseline, canary, config, level)
            results[i] = replace(r, p_adjusted=adjusted, reason=r.reason + (
                f"; Holm-adjusted p {adjusted:.2g} over {len(tested)} metrics (tested at {level:.2g})"
                if len(tested) > 1 else ""))
    score, verdict, reason = score_metrics(results, config)
    return Judgment(score, verdict, tuple(results), reason)


def _judge_metric(name: str, baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig,
                  alpha: float | None) -> MetricResult:
    spec = config.spec_for(name, canary.columns)
    if spec.counts:
        num, den = spec.counts
        result = classify_counts(spec, baseline[num].sum(), baseline[den].sum(), canary[num].sum(),
                                 canary[den].sum(), config, alpha)
        if name in canary.columns:
            rank = classify_rank(replace(spec, counts=None), baseline[name], canary[name], config, alpha)
            result = replace(result, rank_classification=rank.classification)
        return result
    return classify_rank(spec, baseline[name], canary[name], config, alpha)


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


def score_metrics(results: list[MetricResult], config: JudgeConfig = JudgeConfig()) -> tuple[float, str, str]:
    """(score, verdict, reason). Kayenta's scoring, with "inconclusive" where it would score missing data 0."""
    counted = [m for m in results if m.classification != "nodata"]
    passing = [m for m in counted if m.classification == "pass"]
    nodata = [m for m in results if m.classification == "nodata"]
    failed_critical = [m for m in counted if m.critical and m.classification != "pass"]
    if failed_critical:
        return 0.0, "fail", "critical metric " + ", ".join(f"{m.name} {m.classification}" for m in failed_critical)
    score = 100 * len(passing) / len(counted) if counted else 0.0
    if counted and score <= config.marginal_score:
        bad = [f"{m.name} {m.classification}" for m in counted if m.classification != "pass"]
        return score, "fail", f"score {score:.0f} <= {config.marginal_score:g}: " + ", ".join(bad)
    if not results or len(nodata) >= config.nodata_share * len(results):
        return score, "inconclusive", (f"{len(nodata)} of {len(results)} metrics without enough data "
                                       f"(at least {100 * config.nodata_share:g} % gives no verdict)")
    critical_nodata = [m.name for m in nodata if m.critical]
    if critical_nodata:
        return score, "inconclusive", "not enough data on critical metric " + ", ".join(critical_nodata)
    if score >= config.pass_score:
        return score, "pass", f"score {score:.0f} >= {config.pass_score:g}"
    bad = [f"{m.name} {m.classification}" for m in counted if m.classification != "pass"]
    return score, "marginal", f"score {score:.0f} between {config.marginal_score:g} and {config.pass_score:g}: " \
                              + ", ".join(bad)


def naive_judge(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig(),
                threshold: float = 0.10) -> str:
    """The naive baseline judge: fail when any metric's mean moved by more than ``threshold`` (10 %) in its bad
    direction (pooled ratio for count metrics), else pass. No statistics, no minimum data."""
    for name in metric_names(canary.columns, config):
        spec = config.spec_for(name, canary.columns)
        if spec.counts:
            num, den = spec.counts
            b = baseline[num].sum() / max(baseline[den].sum(), 1)
            c = canary[num].sum() / max(canary[den].sum(), 1)
        else:
            b, c = baseline[name].mean(), canary[name].mean()
        if not (np.isfinite(b) and np.isfinite(c)):
            continue
        up = c > b * (1 + threshold) if b > 0 else c > b
        down = c < b * (1 - threshold) if b > 0 else c < b
        if (up and spec.direction in ("increase", "either")) or (down and spec.direction in ("decrease", "either")):
            return "fail"
    return "pass"


def naive_judgment(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig()) -> Judgment:
    """``naive_judge`` as a Judgment (score 100 or 0), so the rollout can run on it."""
    verdict = naive_judge(baseline, canary, config)
    return Judgment(100.0 if verdict == "pass" else 0.0, verdict, (), "means within 10 %" if verdict == "pass"
                    else "a mean moved by more than 10 % in its bad direction")


# --- samples from the simulator's per-release counts -------------------------------------------------------------

SIM_COUNTS = ("requests", "errors", "slow", "graded", "correct", "tokens")


def interval_samples(minutes: pd.DataFrame, version: str, start: int, end: int) -> pd.DataFrame:
    """Per-minute metric samples of one release over shift minutes [start, end), from the simulator's long
    frame: error_ratio, slow_ratio, quality, tokens_per_request (NaN in a minute without their denominator),
    plus the counts they come from."""
    mine = minutes["release"].to_numpy() == version
    block = minutes.loc[mine, list(SIM_COUNTS)].to_numpy(dtype=np.int64)[start:end]
    counts = dict(zip(SIM_COUNTS, block.T))
    req = np.where(counts["requests"] > 0, counts["requests"], np.nan)
    graded = np.where(counts["graded"] > 0, counts["graded"], np.nan)
    return pd.DataFrame({"minute": np.arange(start, start + len(block)),
                         "error_ratio": counts["errors"] / req,
                         "slow_ratio": counts["slow"] / req,
                         "quality": counts["correct"] / graded,
                         "tokens_per_request": counts["tokens"] / req,
                         **counts})


# --- the rollout -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """One analysis: the canary at ``weight`` (%) over shift minutes [start, end)."""

    weight: float
    start: int
    end: int
    judgment: Judgment
    hold: int                              # 0 for a step's first analysis, k for its k-th extension
    baseline: pd.DataFrame = field(repr=False, compare=False, default=None)
    canary: pd.DataFrame = field(repr=False, compare=False, default=None)


@dataclass
class CanaryRun:
    release: str
    baseline_release: str
    start: int                                      # shift minute of the first step
    verdict: str = "running"                        # promoted, aborted, paused, skipped
    reason: str = ""
    end: int | None = None                          # shift minute of the verdict
    intervals: list[Interval] = field(default_factory=list)
    weights: list[tuple[int, float]] = field(default_factory=list)   # (minute, canary weight %)

    @property
    def promoted_on_pass(self) -> bool:
        """Promoted, with the last analysis a pass and no failed analysis before it."""
        return (self.verdict == "promoted" and bool(self.intervals)
                and self.intervals[-1].judgment.verdict == "pass"
                and all(i.judgment.verdict != "fail" for i in self.intervals))


def analysis_config_for(config: JudgeConfig) -> JudgeConfig:
    """The config each analysis of a rollout is judged with. ``rollout_correction: bonferroni`` makes
    1 - confidence the false-abort budget of the WHOLE canary: each of the planned steps' analyses gets an equal
    share, (1 - confidence) / len(steps) (Bonferroni, valid whatever the correlation between the analyses), and
    within one analysis Holm shares it among the metrics. A held step's re-analyses (a longer window holding the
    previous one) reuse the step's share. The command-line judge runs one analysis and uses 1 - confidence."""
    if config.rollout_correction != "bonferroni" or len(config.steps) < 2:
        return config
    return replace(config, confidence=1 - (1 - config.confidence) / len(config.steps))


def run_canary(release: str, baseline_release: str, start: int, last_minute: int, config: JudgeConfig,
               set_weight: Callable[[int, float], None],
               samples: Callable[[int, int], tuple[pd.DataFrame, pd.DataFrame]],
               on_interval: Callable[[Interval], None] | None = None,
               judge_fn: Callable | None = None) -> CanaryRun:
    """Walk the canary steps: at each weight, wait ``interval_min`` and judge [step start, now); inconclusive
    holds the weight and judges the growing window again; a failure aborts (weight 0); after the last step passes,
    promote to 100 %. ``set_weight(minute, pct)`` changes the traffic split (and re-simulates);
    ``samples(start, end)`` returns (baseline, canary) per-minute samples; ``judge_fn(baseline, canary, config)``
    replaces the judge (e.g. ``naive_judgment``, to measure against it)."""
    judge_fn = judge_fn or judge
    analysis_config = analysis_config_for(config)
    run = CanaryRun(release, baseline_release, start)
    m = start

    def finish(verdict: str, reason: str, weight: float | None) -> CanaryRun:
        if weight is not None:
            set_weight(m, weight)
            run.weights.append((m, weight))
        run.verdict, run.reason, run.end = verdict, reason, m
        return run

    for i, weight in enumerate(config.steps):
        last_step = i == len(config.steps) - 1
        set_weight(m, weight)
        run.weights.append((m, weight))
        window, failed, inconclusive, hold = m, 0, 0, 0
        while True:
            if m + config.interval_min > last_minute:
                return finish("paused", f"the shift ended before the analysis at {weight:g} % could finish", None)
            b, c = samples(window, m + config.interval_min)
            m += config.interval_min
            judgment = judge_fn(b, c, analysis_config)
            interval = Interval(weight, window, m, judgment, hold, b, c)
            run.intervals.append(interval)
            if on_interval:
                on_interval(interval)
            hold += 1
            if judgment.verdict == "fail":
                failed += 1
                if failed > config.failure_limit:
                    return finish("aborted", f"analysis at {weight:g} % failed: {judgment.reason}", 0.0)
                window = m            # a tolerated failure: judge a fresh window at the same weight
                continue
            if judgment.verdict == "inconclusive":
                inconclusive += 1
                if inconclusive > config.inconclusive_limit:
                    return finish("paused", f"inconclusive at {weight:g} % after {inconclusive} analyses "
                                            f"({judgment.reason}); waiting for a human, never promoted", None)
                continue              # hold the weight; the window grows
            if last_step and judgment.verdict != "pass":
                return finish("aborted", f"the last analysis must pass: {judgment.reason}", 0.0)
            break
    return finish("promoted", f"every step to {config.steps[-1]:g} % analysed; the last analysis passed", 100.0)


# --- the command line: oncall canary-judge ---------------------------------------------------------------------

def read_export(path: str | Path) -> pd.DataFrame:
    """A metric export: CSV, one column per metric, one row per sample; BadInput names the file and column."""
    from ..errors import BadInput
    from ..paths import display

    path = Path(path)
    where = display(path) if path.is_absolute() else str(path)
    if not path.is_file():
        raise BadInput(where, None, "no such file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BadInput(where, None, f"not a readable CSV ({type(exc).__name__})") from None
    if frame.empty:
        raise BadInput(where, None, "no rows; expected one row per sample")
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2   # 1-based, after the header line
            raise BadInput(where, column, f"expected numbers, got {frame[column][bad].iloc[0]!r} on line {row}")
        infinite = np.isinf(values.to_numpy(dtype=float))
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0]) + 2
            raise BadInput(where, column, f"expected finite numbers, got {float(values.iloc[row - 2]):g} on line {row}")
        if column in COUNT_COLUMNS and ((values < 0) | (values % 1 != 0)).any():
            row = int(np.flatnonzero(((values < 0) | (values % 1 != 0)).to_numpy())[0]) + 2
            raise BadInput(where, column, f"expected a whole count of events (0 or more), got "
                                          f"{float(values.iloc[row - 2]):g} on line {row}")
        frame[column] = values
    return frame
