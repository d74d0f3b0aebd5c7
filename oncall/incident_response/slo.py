"""SLOs read from OpenSLO v1 YAML (M31): each a ratio of good to total events over a rolling window."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import yamlsafe
from ..durations import parse_duration_min
from ..errors import BadInput
from ..paths import cached_per_file_version, refuse_empty, resolve

@dataclass(frozen=True)
class SLO:
    """One service-level objective over per-minute counts.

    ``good`` or ``bad`` names the counter column of the per-minute frame (exactly one is set);
    ``total`` names the column of all events. ``objective`` is the target ratio in (0, 1).
    """

    name: str
    display_name: str
    objective: float
    period_min: int
    total: str
    good: str | None = None
    bad: str | None = None
    threshold_ms: int | None = None
    max_age_h: float | None = None
    component: str = ""          # the component the SLO watches, if one (annotation oncall/component)
    source: str = ""

    @property
    def budget_ratio(self) -> float:
        """The share of events allowed to be bad: 1 - objective."""
        return 1.0 - self.objective

    def bad_and_total(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per-minute bad and total event counts from the simulator's (or an export's) frame, as int64 arrays."""
        total = frame[self.total].to_numpy(dtype=np.int64)
        if self.bad is not None:
            bad = frame[self.bad].to_numpy(dtype=np.int64)
        else:
            bad = total - frame[self.good].to_numpy(dtype=np.int64)
        return bad, total


def _get(node, keys: list[str], where: str):
    path = []
    for key in keys:
        path.append(key)
        if isinstance(key, int):
            if not isinstance(node, list) or len(node) <= key:
                raise BadInput(where, ".".join(map(str, path[:-1])), "expected a non-empty list")
            node = node[key]
        else:
            if not isinstance(node, dict) or key not in node:
                raise BadInput(where, ".".join(map(str, path)), "missing")
            node = node[key]
    return node


def load_slo(name_or_path: str | Path) -> SLO:
    """Load an OpenSLO v1 ``kind: SLO`` document with a ratioMetric (good or bad, and total)."""
    return _load_slo_file(resolve(str(name_or_path), "slos", "--slo"))


@cached_per_file_version
def _load_slo_file(file) -> SLO:
    """``load_slo`` of one file, parsed once per version of it (an SLO is immutable; every shift reads its SLOs)."""
    path = Path(file)
    where = str(path)
    refuse_empty(path, where, "an OpenSLO v1 document")
    try:
        doc = yamlsafe.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise BadInput(where, None, f"not valid YAML ({(str(exc) or type(exc).__name__).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise BadInput(where, None, "expected a mapping (an OpenSLO v1 document)")
    if doc.get("apiVersion") != "openslo/v1" or doc.get("kind") != "SLO":
        raise BadInput(where, "apiVersion/kind", "expected apiVersion openslo/v1 and kind SLO")
    name = _get(doc, ["metadata", "name"], where)
    target = _get(doc, ["spec", "objectives", 0, "target"], where)
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
        raise BadInput(where, "spec.objectives[0].target", f"expected a number strictly between 0 and 1, got {target!r}")
    windows = _get(doc, ["spec", "timeWindow"], where)
    if not isinstance(windows, list) or not windows or not isinstance(windows[0], dict):
        raise BadInput(where, "spec.timeWindow", "expected a list with one window")
    period_min = parse_duration_min(windows[0].get("duration"), where, "spec.timeWindow[0].duration")
    ratio = _get(doc, ["spec", "indicator", "spec", "ratioMetric"], where)
    columns = {}
    for part in ("good", "bad", "total"):
        if isinstance(ratio, dict) and part in ratio:
            columns[part] = _get(ratio, [part, "metricSource", "spec", "column"], f"{where}: spec.indicator.spec.ratioMetric")
            if not isinstance(columns[part], str):
                raise BadInput(where, f"spec.indicator.spec.ratioMetric.{part}.metricSource.spec.column",
                               f"expected a column name, got {columns[part]!r}")
    if "total" not in columns or (("good" in columns) == ("bad" in columns)):
        raise BadInput(where, "spec.indicator.spec.ratioMetric", "expected total and exactly one of good or bad")
    annotations = doc["metadata"].get("annotations") or {}
    if not isinstance(annotations, dict):
        raise BadInput(where, "metadata.annotations", "expected a mapping")
    threshold = annotations.get("oncall/threshold_ms")
    try:
        threshold_ms = int(threshold) if threshold is not None else None
    except (TypeError, ValueError, OverflowError):
        raise BadInput(where, "metadata.annotations.oncall/threshold_ms", f"expected an integer, got {threshold!r}") from None
    age = annotations.get("oncall/max_age_h")
    try:
        max_age_h = float(age) if age is not None else None
        if max_age_h is not None and not 0 < max_age_h < 1e6:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise BadInput(where, "metadata.annotations.oncall/max_age_h", f"expected a number of hours, got {age!r}") from None
    return SLO(
        name=str(name),
        display_name=str((doc.get("metadata") or {}).get("displayName") or name),
        objective=float(target),
        period_min=period_min,
        total=columns["total"],
        good=columns.get("good"),
        bad=columns.get("bad"),
        threshold_ms=threshold_ms,
        max_age_h=max_age_h,
        component=str(annotations.get("oncall/component", "") or ""),
        source=where,
    )
