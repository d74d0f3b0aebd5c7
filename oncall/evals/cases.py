"""Eval cases (M26): the case format, loading and validating case files, promoting a regression case.

A case file (YAML) holds one case (a mapping with ``id``) or a suite: ``cases:`` (a list) with optional ``suite``
(a name), ``description`` and ``pass_rate_threshold`` (default 1.0). A case::

    id: refund-a1001            # unique across everything loaded together
    version: 1                  # bump whenever the case changes (as OpenAI evals do)
    question: Please refund order A1001
    context: {index_built: 2026-11-26T02:00:00Z}   # optional: what the assistant runs with (never a release)
    graders:                    # exact, contains, regex, tool_call, json_schema, no_error, latency_ms, cost
      - {type: tool_call, tool: issue_refund, arguments: {order_id: A1001}}
      - {type: no_error}
    threshold: 1.0              # share of graders that must pass (default 1.0)
    epochs: 1                   # times the question is asked (for nondeterministic answers)
    reducer: mean               # mean, min or pass_at_k (with k, default epochs)
    difficulty: 0.0             # in [-1, 1]: how much harder than a typical live question (the answer model's d)

Scoring. One epoch's score is the share of its graders that pass. The reducer turns the epochs into the case's
score: ``mean`` and ``min`` of the epoch scores; ``pass_at_k`` the unbiased pass@k estimate
1 - C(n-c, k) / C(n, k) over n epochs of which c passed (an epoch passes when its score reaches the threshold),
i.e. the chance that k answers drawn from the n contain a passing one. The case passes iff its score reaches its
threshold. Every file is a suite: it passes iff its share of passing cases reaches its ``pass_rate_threshold``;
a run passes iff every suite in it does (so promoted regressions, at 1.0, cannot hide inside the golden set's 0.9).

Cases never name a release: the release is chosen when the eval runs (``--release``), so the same case is red on
the bad release and green on the fix only because the assistant answers differently there.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import datafile
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version, display, is_path, read_yaml
from .graders import GRADER_TYPES, REQUIRED_VALUE, Grader

EVALS_DIR = DATA_DIR / "evals"
REGRESSIONS_DIR = EVALS_DIR / "regressions"
DEFAULT_CASES = ("golden", "regressions")   # what `oncall eval` runs without --cases
GATE_CASES = ("golden", "golden-generated")  # the golden set the deploy gate samples (hand-written + generated)
ROLES = ("last_good", "bad", "fix")
REDUCERS = ("mean", "min", "pass_at_k")

# --- the case format ---------------------------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Context(_Strict):
    """What the assistant runs with besides the question; a case never names a release."""

    index_built: datetime | None = None     # when the retrieval index was built (None: fresh)
    provider_down: bool = False             # the primary model provider is failing

    @field_validator("index_built")
    @classmethod
    def _utc(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("expected a UTC time with a zone, like 2026-11-26T02:00:00Z")
        return value.astimezone(timezone.utc) if value is not None else None


class Case(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: int = Field(ge=1)
    question: str = Field(min_length=1)
    description: str = ""
    context: Context = Context()
    graders: list[Grader] = Field(min_length=1)
    threshold: float = Field(default=1.0, ge=0, le=1)
    epochs: int = Field(default=1, ge=1, le=100)
    reducer: Literal["mean", "min", "pass_at_k"] = "mean"
    k: int | None = Field(default=None, ge=1)
    difficulty: float = Field(default=0.0, ge=-1, le=1)
    tags: list[str] = []

    @model_validator(mode="after")
    def _k(self):
        if self.k is not None and self.reducer != "pass_at_k":
            raise ValueError("k: only the pass_at_k reducer takes k")
        if self.k is not None and self.k > self.epochs:
            raise ValueError(f"k: expected at most epochs ({self.epochs}), got {self.k}")
        return self


class _SuiteFile(_Strict):
    suite: str | None = None
    description: str = ""
    pass_rate_threshold: float = Field(default=1.0, ge=0, le=1)
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class Suite:
    name: str
    source: str                      # the file, as a learner would type it
    pass_rate_threshold: float
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class CaseSet:
    """Cases loaded together, with the suite (file) each came from."""

    cases: tuple[Case, ...]
    suites: tuple[Suite, ...]
    source: str

    def __iter__(self):
        return iter(self.cases)

    def __len__(self):
        return len(self.cases)


# --- loading -----------------------------------------------------------------------------------------------------

def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in GRADER_TYPES:       # pydantic's discriminator step: not a field a learner wrote
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _validation_message(exc: ValidationError, doc) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = _loc(err["loc"])
    kind = err["type"]
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        return f"{loc}.type", f"unknown grader {tag!r}; expected one of {', '.join(GRADER_TYPES)}"
    if kind == "union_tag_not_found":
        return f"{loc}.type", f"missing; expected one of {', '.join(GRADER_TYPES)}"
    if kind == "missing":
        field = str(err["loc"][-1])
        grader = next((t for t in err["loc"] if t in GRADER_TYPES), None)
        if grader and REQUIRED_VALUE.get(grader) == field:
            return loc, f"missing: a {grader} grader needs its expected {field}"
    return datafile.first_error(exc, loc)       # the course's one form for everything else


def _load_file(path: Path, catalog) -> tuple[list[Case], Suite]:
    where = display(path)
    doc = read_yaml(path, where)
    if not isinstance(doc, dict):
        raise BadInput(where, None, f"expected one case (a mapping with id) or a suite (a mapping with cases:), "
                                    f"got {type(doc).__name__}")
    if "cases" in doc:
        model, prefix = _SuiteFile, ""
    elif "id" in doc or "question" in doc or "graders" in doc:
        model, prefix = Case, ""
    else:
        raise BadInput(where, "cases", "missing: expected one case (with id, version, question, graders) or cases:")
    try:
        parsed = model.model_validate(doc)
    except ValidationError as exc:
        field, msg = _validation_message(exc, doc)
        raise BadInput(where, (prefix + field) if field else None, msg) from None
    if isinstance(parsed, _SuiteFile):
        cases, name, threshold, prefix = list(parsed.cases), parsed.suite or path.stem, parsed.pass_rate_threshold, "cases"
    else:
        cases, name, threshold, prefix = [parsed], path.stem, 1.0, ""
    seen: set[str] = set()
    for i, case in enumerate(cases):
        at = f"{prefix}[{i}]." if prefix else ""
        if case.id in seen:
            raise BadInput(where, f"{at}id", f"duplicate case id {case.id!r}")
        seen.add(case.id)
        for j, grader in enumerate(case.graders):
            if hasattr(grader, "check_catalog"):
                problem = grader.check_catalog(catalog)
                if problem:
                    raise BadInput(where, f"{at}graders[{j}].{problem[0]}", problem[1])
    return cases, Suite(name, where, threshold, tuple(c.id for c in cases))


def _case_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")
                  and not p.name.startswith("."))


def _resolve_cases(value: str | Path) -> Path:
    text = str(value)
    if not text or text in {".", ".."}:
        raise BadInput("--cases", None, f"expected a name from data/evals/ or a path to a case file, got {text!r}")
    if isinstance(value, Path) or is_path(text):
        path = Path(text)
        if not path.exists():
            raise BadInput(str(path), None, "no such file or folder")
        return path
    for candidate in (EVALS_DIR / f"{text}.yaml", EVALS_DIR / f"{text}.yml", EVALS_DIR / text):
        if candidate.exists():
            return candidate
    known = sorted({p.stem for p in EVALS_DIR.glob("*.y*ml")} | {p.name for p in EVALS_DIR.iterdir() if p.is_dir()})
    raise BadInput("--cases", None, f"no eval cases named {text!r}; expected one of {', '.join(known)} or a path")


def load_cases(path_or_name: str | Path | None = None, catalog=None) -> CaseSet:
    """Load and validate eval cases: a NAME inside data/evals/ (a file or a folder), or a PATH where it is.

    None loads the default set (the golden set and every promoted regression). A folder loads every ``*.yaml``
    in it (each file its own suite). Any problem is one BadInput naming the file and the field.
    """
    from ..service.catalog import load_catalog

    catalog = catalog or load_catalog()
    if path_or_name is None:
        paths = [_resolve_cases(name) for name in DEFAULT_CASES if (EVALS_DIR / name).exists()
                 or (EVALS_DIR / f"{name}.yaml").exists()]
        source = " + ".join(display(p) + ("/" if p.is_dir() else "") for p in paths)
    else:
        paths = [_resolve_cases(path_or_name)]
        source = display(paths[0])
    files: list[Path] = []
    for path in paths:
        files += _case_files(path) if path.is_dir() else [path]
    if not files and path_or_name is not None:
        raise BadInput(source, None, "no case files (*.yaml) in this folder")
    cases: list[Case] = []
    suites: list[Suite] = []
    first_seen: dict[str, str] = {}
    for file in files:
        file_cases, suite = _load_file(file, catalog)
        for case in file_cases:
            if case.id in first_seen:
                raise BadInput(suite.source, "id", f"case id {case.id!r} is already used in {first_seen[case.id]}")
            first_seen[case.id] = suite.source
        cases += file_cases
        suites.append(suite)
    return CaseSet(tuple(cases), tuple(suites), source)


def gate_cases() -> CaseSet:
    """The deploy gate's golden set: the hand-written cases and the generated ones (data/evals/generate_golden.py),
    each file its own suite."""
    sets = [_cases_in_file(_resolve_cases(name)) for name in GATE_CASES]
    return CaseSet(tuple(c for s in sets for c in s.cases), tuple(s for cs in sets for s in cs.suites),
                   " + ".join(cs.source for cs in sets))


def golden_cases() -> CaseSet:
    """The golden set (data/evals/golden.yaml), parsed once per version of the file: every shift reads it."""
    return _cases_in_file(_resolve_cases("golden"))


@cached_per_file_version
def _cases_in_file(path: Path) -> CaseSet:
    return load_cases(Path(path))


def _as_caseset(cases) -> CaseSet:
    if isinstance(cases, CaseSet):
        return cases
    if isinstance(cases, Case):
        cases = [cases]
    cases = tuple(cases)
    return CaseSet(cases, (Suite("cases", "(in memory)", 1.0, tuple(c.id for c in cases)),), "(in memory)")


# --- promotion ---------------------------------------------------------------------------------------------------

def promote(case_path: str | Path, target_dir: str | Path | None = None, catalog=None) -> Path:
    """Copy a regression case file into ``data/evals/regressions/`` (or ``target_dir``), atomically.

    The file is validated first; it is written to a temporary file in the target folder and then hard-linked to
    its name, which fails if that name exists (never overwriting). A case whose id is already in the folder is
    refused too. Any refusal is a BadInput.
    """
    source = Path(case_path)
    if not source.is_file():
        raise BadInput(str(source), None, "no such case file")
    caseset = load_cases(source, catalog)               # a malformed case is never promoted
    target_dir = Path(target_dir) if target_dir is not None else REGRESSIONS_DIR
    if not target_dir.is_dir():
        raise BadInput(display(target_dir), None, "no such folder")
    target = target_dir / (source.name if source.suffix in (".yaml", ".yml") else f"{source.stem}.yaml")
    if target.exists():
        raise BadInput(display(target), None, "already exists; promote never overwrites (bump the case's version "
                                              "and give it a new file name, or remove the old one deliberately)")
    existing = load_cases(target_dir, catalog) if _case_files(target_dir) else None
    if existing is not None:
        where = {cid: s.source for s in existing.suites for cid in s.case_ids}
        for case in caseset.cases:
            if case.id in where:
                raise BadInput(display(source), "id", f"a case with id {case.id!r} is already promoted in {where[case.id]}")
    data = source.read_bytes()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)                         # atomic, and refuses an existing name
        except FileExistsError:
            raise BadInput(display(target), None, "already exists; promote never overwrites") from None
        except OSError:                                  # a file system without hard links
            if target.exists():
                raise BadInput(display(target), None, "already exists; promote never overwrites") from None
            os.rename(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
