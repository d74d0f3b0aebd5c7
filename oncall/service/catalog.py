"""The service's catalog (M27): models, prompts and tool schemas a release can pick, from data/service.yaml."""
from __future__ import annotations

import math
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from .. import datafile
from ..errors import BadInput
from ..paths import DATA_DIR, display
from .judge import JudgeModel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Model(_Strict):
    provider: str
    latency_median_ms: float = Field(gt=0)
    latency_sigma: float = Field(gt=0)
    error_ratio: float = Field(ge=0, le=1)
    quality: float = Field(ge=0, le=1)
    tokens_per_request: float = Field(gt=0)

    def share_slower_than(self, threshold_ms: float) -> float:
        """P(latency > threshold) for the lognormal latency model: 1 - Phi(ln(threshold/median) / sigma)."""
        z = math.log(threshold_ms / self.latency_median_ms) / self.latency_sigma
        return 0.5 * math.erfc(z / math.sqrt(2))


class Prompt(_Strict):
    quality_delta: float = Field(ge=-1, le=1)
    uses_retrieval: bool = True     # False: the retrieved passages are left out of the context


class ToolApi(_Strict):
    lookup_order: list[str]
    issue_refund: list[str]
    error_ratio: float = Field(ge=0, le=1)


class Flag(_Strict):
    default: bool
    off_means: str


class Failover(_Strict):
    """The secondary model provider traffic fails over to (the ``failover`` flag)."""

    provider: str
    latency_factor: float = Field(ge=1)
    error_ratio: float = Field(ge=0, le=1)


class Catalog(_Strict):
    service: str
    intent_mix: dict[str, float]
    tool_call_ratio: float = Field(ge=0, le=1)
    graded_ratio: float = Field(gt=0, le=1)
    timeout_ms: float = Field(gt=0)
    tool_api: ToolApi
    models: dict[str, Model]
    prompts: dict[str, Prompt]
    tool_schemas: dict[str, dict[str, list[str]]]
    flags: dict[str, Flag] = {}
    failover: Failover = Failover(provider="secondary", latency_factor=1.2, error_ratio=0.0004)
    judge: JudgeModel = JudgeModel()   # the LLM judge that grades the quality SLI's sample (service/judge.py)

    def tool_accepts(self, schema: str, tool: str) -> bool:
        """Whether the order API accepts the arguments this tool schema sends for ``tool``."""
        return self.tool_schemas[schema].get(tool) == getattr(self.tool_api, tool)


@lru_cache(maxsize=4)
def load_catalog(path: str | None = None) -> Catalog:
    """Load and validate data/service.yaml (or another catalog file)."""
    file = DATA_DIR / "service.yaml" if path is None else path
    where = display(file)
    catalog = datafile.load(Catalog, file, where)
    if set(catalog.intent_mix) != {"kb_question", "order_lookup", "refund"} or abs(sum(catalog.intent_mix.values()) - 1) > 1e-9:
        raise BadInput(where, "intent_mix", "expected kb_question, order_lookup and refund, summing to 1")
    return catalog
