"""Canary analysis (M33), its configuration: how each metric is judged and how the rollout steps.

Defaults follow Spinnaker Kayenta's NetflixACAJudge (98 % confidence, tolerance 0.25 x |shift|, pass 95 /
marginal 75) and Argo Rollouts' canary steps; ``data/canary/judge.yaml`` is the simulated service's config.

Three remedies for noisy (bursty, overdispersed) traffic, each off in ``JudgeConfig()`` and switched in the config:

* ``floor_budget_pct`` (a share of the error budget, in %): the practical-significance floor. A metric with an SLO
  (``slo_objective``) whose canary is worse than its baseline by less than

      floor = floor_budget_pct / 100 x (1 - slo_objective) x budget_period_min / canary_window_min

  is never a fail, however significant: a difference that small, served to ALL traffic for the whole canary window
  (``canary_window_min``: the planned analyses, len(steps) x interval_min), would burn less than
  ``floor_budget_pct`` % of the 30-day budget. (It is the burn rate floor_budget_pct / 100 x period / window above
  the baseline's: 0.1 % over 30 min of 30 days is a burn rate of 1.44.)
* ``fresh_baseline``: the canary is compared with a new baseline group of its own size, started with it (Kayenta's
  practice), not with the long-running fleet; the rollout (``oncall.ship``) runs it.
* ``slo_guard``: the absolute SLO guard. A canary whose own ratio is significantly worse than its SLO allows
  (a one-sided exact binomial test against 1 - slo_objective, or slo_objective for a good ratio, at the metric's
  level) is High (Low), whatever the baseline does: a canary never passes against a baseline as broken as itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import yamlsafe

DIRECTIONS = ("increase", "decrease", "either")
COUNT_COLUMNS = ("requests", "errors")   # the optional count columns of a metric export


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
    slo_objective: float | None = None    # the SLO's objective on this ratio (counts only): a bad ratio (direction
                                          # increase) may be at most 1 - objective, a good one (decrease) at least it


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
    # the remedies for noisy traffic (module docstring); all off by default
    floor_budget_pct: float | None = None  # practical-significance floor: a share (%) of the error budget
    budget_period_days: float = 30         # the SLOs' period
    fresh_baseline: bool = False           # a new baseline group of the canary's size, started with it
    slo_guard: bool = False                # a canary never passes while its own ratio breaks its SLO

    @property
    def canary_window_min(self) -> int:
        """The canary's planned analysis time: one interval per step."""
        return len(self.steps) * self.interval_min

    def floor_for(self, spec: "MetricSpec") -> float | None:
        """The practical-significance floor of a metric, in its ratio's units, or None (off, or no SLO):
        floor_budget_pct / 100 x (1 - slo_objective) x period / canary window (module docstring)."""
        if self.floor_budget_pct is None or spec.slo_objective is None:
            return None
        return (self.floor_budget_pct / 100 * (1 - spec.slo_objective) * self.budget_period_days * 24 * 60
                / self.canary_window_min)

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


FLOOR_BUDGET_PCT = 0.1   # the floor's share of the budget when a remedy variant turns it on (data/canary/judge.yaml's)


def remedy_variants(config: JudgeConfig) -> dict[str, JudgeConfig]:
    """``config`` with no remedy, each remedy alone, and all three: name -> config (for measuring them side by
    side: benchmarks/canary_bursty.py, 05_ship). The floor keeps ``config``'s share, or FLOOR_BUDGET_PCT."""
    floor = config.floor_budget_pct or FLOOR_BUDGET_PCT
    off = replace(config, floor_budget_pct=None, fresh_baseline=False, slo_guard=False)
    return {"no remedy": off,
            "floor": replace(off, floor_budget_pct=floor),
            "fresh baseline": replace(off, fresh_baseline=True),
            "SLO guard": replace(off, slo_guard=True),
            "all three": replace(off, floor_budget_pct=floor, fresh_baseline=True, slo_guard=True)}


class ConfigError(ValueError):
    """A bad judge config: ``field`` names the key."""

    def __init__(self, field: str, expected: str):
        self.field, self.expected = field, expected
        super().__init__(f"{field}: {expected}")


_SPEC_KEYS = {"direction", "critical", "allowed_increase", "allowed_decrease", "counts", "dispersion",
              "allowed_dispersion_increase", "min_samples", "min_total", "slo_objective"}
_TOP_KEYS = {"confidence", "tolerance", "pass_score", "marginal_score", "nodata_share", "metrics", "steps",
             "interval_min", "failure_limit", "inconclusive_limit", "ignore", "correction", "rollout_correction",
             "floor_budget_pct", "budget_period_days", "fresh_baseline", "slo_guard"}
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
    if doc.get("floor_budget_pct") is not None:
        value = _number(doc["floor_budget_pct"], "floor_budget_pct")
        if not 0 < value <= 100:
            raise ConfigError("floor_budget_pct", "expected a share of the error budget in % (above 0, at most "
                                                  "100), or null for no floor")
        top["floor_budget_pct"] = value
    if "budget_period_days" in doc:
        top["budget_period_days"] = _number(doc["budget_period_days"], "budget_period_days")
        if top["budget_period_days"] <= 0:
            raise ConfigError("budget_period_days", "expected a number of days above 0")
    for key in ("fresh_baseline", "slo_guard"):
        if key in doc:
            if not isinstance(doc[key], bool):
                raise ConfigError(key, f"expected true or false (got {doc[key]!r})")
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
        if kw.get("slo_objective") is not None:
            kw["slo_objective"] = _number(kw["slo_objective"], f"{where}.slo_objective")
            if not 0 < kw["slo_objective"] < 1:
                raise ConfigError(f"{where}.slo_objective", "expected the SLO's objective strictly between 0 and 1, "
                                                            "like 0.999")
            if "counts" not in kw or kw.get("direction", "either") == "either":
                raise ConfigError(f"{where}.slo_objective", "needs counts and a direction (increase: a bad ratio, "
                                                            "decrease: a good ratio)")
        metrics[str(name)] = MetricSpec(name=str(name), **kw)
    return JudgeConfig(metrics=metrics, **top)


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(field, f"expected a number (got {value!r})")
    return float(value)


def load_config(path: str | Path) -> JudgeConfig:
    return config_from_dict(yamlsafe.safe_load(Path(path).read_text(encoding="utf-8")))
