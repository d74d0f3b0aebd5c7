"""The grader that errs, measured (M26): an LLM judge's agreement with careful human grading, and a judged pass
rate corrected for the judge's error.

An LLM judge (``service.judge.JudgeModel``: the quality SLI's grader, and ``oncall eval --judge``) passes some
wrong answers and fails some right ones. Its stated rates are a vendor's claim; the course measures them on a
small human-labelled calibration set, ``data/evals/judge_calibration.jsonl``: agent answers to golden questions,
right and wrong, each with the label a careful human grader gave (one JSON object a line: ``id``, ``question``,
``reference``, ``answer``, ``label`` pass or fail, optional ``note``).

- ``calibrate``: the judge reads every calibration answer (its verdict a draw per (seed, item), as the judge
  model errs); against the human labels that gives its sensitivity (passes among right answers), specificity
  (fails among wrong answers) and Cohen's kappa (agreement beyond chance, ``sklearn.metrics.cohen_kappa_score``).
- ``rogan_gladen``: a judged pass rate p_obs over-counts (false passes) and under-counts (false fails); the true
  rate is ``(p_obs + spec - 1) / (sens + spec - 1)``, clipped to [0, 1] (Rogan and Gladen, 1978).
- ``correct_rate``: that correction with a 95 % interval that carries both uncertainties: a parametric bootstrap
  that redraws sensitivity, specificity and the judged rate from their Jeffreys posteriors (Beta(k + 1/2,
  n - k + 1/2): sens and spec are only as sure as 72 labels make them) and takes the 2.5 and 97.5 percentiles of
  the corrected rate. Resampling the calibration items instead (a plain bootstrap) cannot see an error the
  sample happens not to hold: with 37 right answers and a 1.5 % false-fail rate, more than half the calibration
  draws show no false fail at all, and its interval then ignores that the judge ever fails a right answer.
- ``judge_result``: an eval run's sampled answers read through the judge (the exact graders stand for the truth
  the judge tries to see), for ``oncall eval --judge``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BadInput
from ..paths import DATA_DIR, display
from ..service.judge import JudgeModel

CALIBRATION = DATA_DIR / "evals" / "judge_calibration.jsonl"
CALIBRATION_RELEASE = "calibration"   # the judge's draws on the calibration set are keyed by this, not a release
BOOTSTRAP = 2000


@dataclass(frozen=True)
class CalibrationItem:
    id: str
    question: str
    reference: str
    answer: str
    right: bool            # the careful human grader's label: pass
    note: str = ""


def load_calibration(path: str | Path | None = None) -> tuple[CalibrationItem, ...]:
    """The human-labelled calibration set; BadInput (file, line and field) on a bad line."""
    path = Path(path) if path is not None else CALIBRATION
    where = display(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInput(where, None, f"cannot read ({exc.strerror})") from None
    items, seen = [], set()
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where}:{no}", None, f"not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise BadInput(f"{where}:{no}", None, "expected a JSON object")
        for field in ("id", "question", "reference", "answer", "label"):
            if not isinstance(row.get(field), str) or not row[field].strip():
                raise BadInput(f"{where}:{no}", field, "missing; expected a non-empty string")
        if row["label"] not in ("pass", "fail"):
            raise BadInput(f"{where}:{no}", "label", f"expected pass or fail, got {row['label']!r}")
        if row["id"] in seen:
            raise BadInput(f"{where}:{no}", "id", f"duplicate id {row['id']!r}")
        seen.add(row["id"])
        items.append(CalibrationItem(row["id"], row["question"], row["reference"], row["answer"],
                                     row["label"] == "pass", str(row.get("note", ""))))
    if not any(i.right for i in items) or all(i.right for i in items):
        raise BadInput(where, "label", "expected both pass and fail labels (sensitivity and specificity need both)")
    return tuple(items)


def sens_spec(truth, judged) -> tuple[float, float]:
    """(sensitivity, specificity) of verdicts ``judged`` against labels ``truth`` (both boolean sequences)."""
    t, j = np.asarray(truth, bool), np.asarray(judged, bool)
    return float(j[t].mean()) if t.any() else float("nan"), float((~j[~t]).mean()) if (~t).any() else float("nan")


def kappa(truth, judged) -> float:
    """Cohen's kappa between the human labels and the judge's verdicts (1 when they agree on every item)."""
    from sklearn.metrics import cohen_kappa_score

    t, j = np.asarray(truth, bool), np.asarray(judged, bool)
    if (t == j).all():
        return 1.0
    return float(cohen_kappa_score(t, j))


@dataclass(frozen=True)
class Calibration:
    judge: JudgeModel
    seed: int
    truth: tuple[bool, ...]          # the human labels (pass)
    judged: tuple[bool, ...]         # the judge's verdicts on the same answers
    ids: tuple[str, ...]

    @property
    def items(self) -> int:
        return len(self.truth)

    @property
    def sensitivity(self) -> float:
        return sens_spec(self.truth, self.judged)[0]

    @property
    def specificity(self) -> float:
        return sens_spec(self.truth, self.judged)[1]

    @property
    def kappa(self) -> float:
        return kappa(self.truth, self.judged)

    @property
    def agreement(self) -> float:
        return float(np.mean(np.asarray(self.truth) == np.asarray(self.judged)))

    @property
    def disagreements(self) -> list[tuple[str, str]]:
        """(item id, "false pass" or "false fail") where the judge and the human disagree."""
        return [(i, "false pass" if j else "false fail")
                for i, t, j in zip(self.ids, self.truth, self.judged) if t != j]

    def to_json(self) -> dict:
        return {"judge": self.judge.name, "stated_false_pass": self.judge.false_pass,
                "stated_false_fail": self.judge.false_fail, "calibration_items": self.items,
                "calibration_pass_labels": int(sum(self.truth)), "calibration_seed": self.seed,
                "kappa": round(self.kappa, 4), "agreement": round(self.agreement, 4),
                "sensitivity": round(self.sensitivity, 4), "specificity": round(self.specificity, 4),
                "disagreements": [{"id": i, "kind": k} for i, k in self.disagreements]}


def calibrate(judge: JudgeModel | None = None, items=None, seed: int = 0) -> Calibration:
    """The judge's verdicts on the calibration set against its human labels."""
    from ..service.catalog import load_catalog

    judge = judge or load_catalog().judge
    items = load_calibration() if items is None else items
    judged = tuple(judge.verdict(i.right, seed, CALIBRATION_RELEASE, i.id) for i in items)
    return Calibration(judge, seed, tuple(i.right for i in items), judged, tuple(i.id for i in items))


def rogan_gladen(p_obs, sens, spec):
    """The true pass rate behind a judged one: (p_obs + spec - 1) / (sens + spec - 1), clipped to [0, 1] (nan
    where the judge is no better than a coin, sens + spec <= 1). Works on numbers and numpy arrays."""
    p_obs, sens, spec = np.asarray(p_obs, float), np.asarray(sens, float), np.asarray(spec, float)
    denom = sens + spec - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(denom > 0, np.clip((p_obs + spec - 1.0) / denom, 0.0, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Corrected:
    judged_passes: int
    n: int
    raw: float               # the judged pass rate
    corrected: float         # Rogan-Gladen with the calibration's sens and spec
    ci_low: float            # 95 % bootstrap interval over the calibration set and the judged answers
    ci_high: float

    def to_json(self) -> dict:
        return {"judged_passes": self.judged_passes, "samples": self.n, "pass_rate_raw": round(self.raw, 4),
                "pass_rate_corrected": round(self.corrected, 4), "corrected_ci_low": round(self.ci_low, 4),
                "corrected_ci_high": round(self.ci_high, 4)}


def correct_rate(judged_passes: int, n: int, calibration: Calibration, seed: int = 0,
                 resamples: int = BOOTSTRAP) -> Corrected:
    """Correct ``judged_passes`` of ``n`` for the judge's error measured by ``calibration``, with a 95 % interval
    from a parametric bootstrap over the calibration's counts and the judged answers (seeded: the same numbers
    every run)."""
    if n <= 0:
        raise ValueError("correct_rate: n must be positive")
    p_obs = judged_passes / n
    truth, judged = np.asarray(calibration.truth, bool), np.asarray(calibration.judged, bool)
    point = rogan_gladen(p_obs, *sens_spec(truth, judged))
    rng = np.random.default_rng([int(seed), 18])
    tp, fn = int((judged & truth).sum()), int((~judged & truth).sum())
    tn, fp = int((~judged & ~truth).sum()), int((judged & ~truth).sum())
    sens = rng.beta(tp + 0.5, fn + 0.5, resamples)
    spec = rng.beta(tn + 0.5, fp + 0.5, resamples)
    p_star = rng.beta(judged_passes + 0.5, n - judged_passes + 0.5, resamples)
    draws = rogan_gladen(p_star, sens, spec)
    draws = draws[np.isfinite(draws)]
    low, high = (np.percentile(draws, [2.5, 97.5]) if len(draws) else (0.0, 1.0))
    return Corrected(judged_passes, n, p_obs, float(point), float(low), float(high))


def judge_units(result, judge: JudgeModel, seed: int) -> tuple[list[bool], list[bool]]:
    """(truth, judged) for every sampled answer of an ``EvalResult``: an answer is truly right when its exact
    graders pass it; the judge's verdict on it is a draw per (seed, release, case, sample)."""
    truth, judged = [], []
    for c in result.cases:
        for i, score in enumerate(c.epoch_scores):
            ok = score >= c.threshold - 1e-12
            truth.append(ok)
            judged.append(judge.verdict(ok, seed, result.release, c.id, i))
    return truth, judged


@dataclass(frozen=True)
class JudgedEval:
    calibration: Calibration
    corrected: Corrected
    exact_pass_rate: float      # what the exact graders say: the truth the judge tries to see
    false_passes: int
    false_fails: int

    def to_json(self) -> dict:
        return {**self.calibration.to_json(), **self.corrected.to_json(),
                "pass_rate_exact": round(self.exact_pass_rate, 4), "false_passes": self.false_passes,
                "false_fails": self.false_fails}


def judge_result(result, seed: int = 0, judge: JudgeModel | None = None, calibration: Calibration | None = None,
                 calibration_seed: int = 0) -> JudgedEval:
    """An eval run read through the judge: its raw and corrected pass rate, with the calibration's figures."""
    from ..service.catalog import load_catalog

    judge = judge or load_catalog().judge
    calibration = calibration or calibrate(judge, seed=calibration_seed)
    truth, judged = judge_units(result, judge, seed)
    n = len(truth)
    corr = correct_rate(sum(judged), n, calibration, seed)
    fp = sum(j and not t for t, j in zip(truth, judged))
    ff = sum(t and not j for t, j in zip(truth, judged))
    return JudgedEval(calibration, corr, sum(truth) / n if n else 1.0, fp, ff)
