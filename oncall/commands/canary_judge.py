"""``oncall canary-judge``: a canary judged against a baseline from two CSV metric exports (M33)."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from .. import yamlsafe
from ..errors import BadInput
from ..paths import refuse_empty
from ..release_ops.canary import (ConfigError, JudgeConfig, config_from_dict, judge, metric_names, read_export,
                                  verdict_label)


def canary_judge_command(baseline: str | Path, canary: str | Path, config: str | Path | None = None,
                         as_json: bool = False) -> tuple[int, str]:
    """What ``oncall canary-judge`` prints and its exit status: 0 pass; 1 marginal, fail or inconclusive
    (BadInput propagates: exit 2)."""
    cfg = JudgeConfig()
    if config is not None:
        cpath = Path(config)
        if not cpath.is_file():
            raise BadInput(str(config), None, "no such file")
        refuse_empty(cpath, str(config), "a judge config (YAML)")
        try:
            cfg = config_from_dict(yamlsafe.safe_load(cpath.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            raise BadInput(str(config), None, f"not valid YAML ({str(exc).splitlines()[0]})") from None
        except ConfigError as exc:
            raise BadInput(str(config), exc.field, exc.expected) from None
    b, c = read_export(baseline), read_export(canary)
    if list(b.columns) != list(c.columns):
        missing = [x for x in b.columns if x not in c.columns] or [x for x in c.columns if x not in b.columns]
        where = str(canary) if any(x not in c.columns for x in b.columns) else str(baseline)
        raise BadInput(where, missing[0] if missing else None,
                       "the baseline and the canary must have the same columns"
                       + (" (missing here)" if missing else " in the same order"))
    for name, spec in cfg.metrics.items():
        for column in spec.counts or ():
            if name in b.columns and column not in b.columns:
                raise BadInput(str(baseline), column, f"missing: metric {name} is judged on counts {column}")
    if not metric_names(c.columns, cfg):
        raise BadInput(str(canary), None, "no metric columns (only count columns)")
    result = judge(b, c, cfg)
    code = 0 if result.verdict == "pass" else 1
    if as_json:
        return code, json.dumps(result.to_dict(), indent=2)
    label = verdict_label(result, cfg).replace(result.verdict, result.verdict.upper(), 1)
    lines = [f"canary {label}: score {result.score:.0f} (pass >= {cfg.pass_score:g}, marginal >= "
             f"{cfg.marginal_score:g}): {result.reason}"]
    for m in result.metrics:
        lines.append(f"  {m.name:<22} {m.classification:<7}{' critical' if m.critical else '         '}  "
                     f"[{m.test}] {m.reason}"
                     + (f" (the rank test alone: {m.rank_classification})" if m.rank_classification else ""))
    return code, "\n".join(lines)
