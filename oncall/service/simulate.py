"""The simulated service's traffic, minute by minute across a shift (M27).

Per minute and per serving release it emits integer COUNTS: requests, errors by cause (tool, provider,
timeout), requests slower than the latency objective's threshold, answers graded and answers the LLM judge
passed (``correct``), tokens, plus the retrieval index's age. Every SLO is then a ratio of good to total events over these counts.

Determinism: every quantity has its own random stream, a numpy Generator seeded from (seed, stream name),
drawn minute after minute in one vectorised call. So changing the serving plan at minute m (a rollback, a
canary) leaves every earlier minute's numbers exactly as they were: what the on-call saw before acting stays
true afterwards (tests/test_simulate.py checks it).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from ..counts import COUNT_COLUMNS, MAX_INDEX_AGE_H
from ..scenario_model import Index, Release, Scenario, Shift
from .answer_model import live_p_correct
from .catalog import Catalog, load_catalog
from .knowledge import stale_doc_share



def rng_for(seed: int, stream: str) -> np.random.Generator:
    """A generator for one named stream; the same (seed, stream) always gives the same draws: a fresh
    ``np.random.default_rng([seed, crc32(stream)])``, started from the stream's remembered seed sequence (a
    simulation asks for some fifty streams and a sweep re-simulates a night many times; hashing the entropy into
    the sequence is most of a generator's cost, and a sequence only hands out its state, never changes)."""
    return np.random.Generator(np.random.PCG64(_seed_sequence(int(seed), stream)))


@lru_cache(maxsize=4096)
def _seed_sequence(seed: int, stream: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, zlib.crc32(stream.encode())])


@dataclass
class ServingPlan:
    """Which releases serve which share of traffic, from which minute of the shift on.

    ``changes`` is a list of (minute, {version: weight}) in time order; weights at a change sum to 1.
    """

    releases: dict[str, Release]
    changes: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    flags: list[tuple[int, str, bool]] = field(default_factory=list)   # (minute, flag, on) in time order
    index_builds: list[int] = field(default_factory=list)              # minutes of extra, successful index builds
    # (from, until or None, error ratio): the model provider fails that share of calls (a provider outage)
    provider_outages: list[tuple[datetime, datetime | None, float]] = field(default_factory=list)

    def weights(self, minutes: int) -> pd.DataFrame:
        """A minutes x releases frame of traffic weights."""
        versions = list(self.releases)
        column = {version: i for i, version in enumerate(versions)}
        out = np.zeros((minutes, len(versions)))
        for minute, split in self.changes:
            if minute >= minutes:
                break
            out[max(minute, 0):] = 0.0
            for version, weight in split.items():
                out[max(minute, 0):, column[version]] = weight
        return pd.DataFrame(out, index=range(minutes), columns=versions)

    def flag_on(self, flag: str, minutes: int, default: bool = True) -> np.ndarray:
        """Per minute: is ``flag`` on?"""
        on = np.full(minutes, default)
        for minute, name, value in self.flags:
            if name == flag:
                on[max(minute, 0):] = value
        return on

    def serving_at(self, minute: int) -> dict[str, float]:
        current: dict[str, float] = {}
        for start, split in self.changes:
            if start <= minute:
                current = split
        return current


def minute_index(scenario: Scenario) -> pd.DatetimeIndex:
    return pd.date_range(scenario.shift.start, periods=scenario.shift.minutes, freq="min", name="t")


def minute_of(scenario: Scenario, when: datetime) -> int:
    """The shift minute that contains ``when`` (may be negative before the shift)."""
    return int((when - scenario.shift.start) // timedelta(minutes=1))


def index_age_hours(scenario: Scenario, times: pd.DatetimeIndex, extra_builds=()) -> np.ndarray:
    """Hours since the last successful index build (nightly, or an extra one such as a reindex), at each minute."""
    return _index_age(scenario.index, times, extra_builds)


def _index_age(index: Index, times: pd.DatetimeIndex, extra_builds=()) -> np.ndarray:
    hh, mm = (int(x) for x in index.nightly_build_utc.split(":"))
    times = times.as_unit("ns")
    first = pd.Timestamp(index.last_build)
    fails_from = index.build_fails_from
    builds = pd.date_range(first, times[-1], freq="D").as_unit("ns")
    builds = builds[(builds.hour == hh) & (builds.minute == mm)] if len(builds) else builds
    if fails_from is not None:
        builds = builds[builds < pd.Timestamp(fails_from)]
    if len(builds) == 0:
        builds = pd.DatetimeIndex([first]).as_unit("ns")
    if len(extra_builds):
        builds = builds.append(pd.DatetimeIndex(list(extra_builds)).as_unit("ns")).sort_values()
    pos = np.searchsorted(builds.asi8, times.asi8, side="right") - 1
    last = builds.asi8[np.clip(pos, 0, None)]
    return (times.asi8 - last) / 3.6e12


def last_index_build(scenario: Scenario, when: pd.Timestamp) -> pd.Timestamp:
    age_h = index_age_hours(scenario, pd.DatetimeIndex([when]))[0]
    return when - pd.Timedelta(hours=float(age_h))


def simulate(scenario: Scenario, plan: ServingPlan, seed: int, latency_threshold_ms: float = 4000,
             catalog: Catalog | None = None, max_index_age_h: float = MAX_INDEX_AGE_H) -> pd.DataFrame:
    """Simulate the shift under ``plan``; returns a long frame, one row per (minute, serving release).

    Columns: ``t`` (UTC minute), ``release``, the integer COUNT_COLUMNS and ``index_age_h``. Releases with no
    traffic in a minute still get a row (all zero), so per-release series line up minute by minute.
    """
    catalog = catalog or load_catalog()
    times = minute_index(scenario)
    n_min = len(times)
    expected_rpm = _expected_rpm(scenario.traffic, scenario.shift.start, n_min)
    requests = rng_for(seed, "traffic").poisson(expected_rpm)
    weights = plan.weights(n_min)
    age_h = _shift_index_age(scenario, tuple(plan.index_builds))
    remaining = requests.copy()
    remaining_weight = np.ones(n_min)
    blocks = []   # per release: its counts, one block of the shift's minutes
    versions = list(plan.releases)
    for i, version in enumerate(versions):
        w = weights[version].to_numpy()
        if i == len(versions) - 1:
            n = remaining
        else:
            p = np.divide(w, remaining_weight, out=np.zeros(n_min), where=remaining_weight > 0).clip(0, 1)
            n = rng_for(seed, f"split:{version}").binomial(remaining, p)
        remaining = remaining - n
        remaining_weight = remaining_weight - w
        counts = _outcomes(plan.releases[version], n, times, age_h, scenario, seed, latency_threshold_ms, catalog,
                           plan)
        counts["stale_index"] = np.where(age_h > max_index_age_h, n, 0)
        blocks.append(counts)
    return _long_frame(times, versions, blocks, age_h)


def _long_frame(times: pd.DatetimeIndex, versions: list[str], blocks: list[dict], age_h: np.ndarray) -> pd.DataFrame:
    """The releases' blocks one after the other in one frame: what ``pd.concat`` of one frame per release
    ({"t": times, "release": version, **counts, "index_age_h": age_h}, ignore_index) gives, built at once."""
    dtypes = {name: {np.asarray(b[name]).dtype for b in blocks} for name in (blocks[0] if blocks else ())}
    if not blocks or any(len(d) > 1 for d in dtypes.values()) or list(blocks[0]) != list(blocks[-1]):
        # Nothing to stack, or blocks a concat would align or upcast: let pandas do it.
        return pd.concat([pd.DataFrame({"t": times, "release": version, **counts, "index_age_h": age_h})
                          for version, counts in zip(versions, blocks)], ignore_index=True)
    k = len(blocks)
    return pd.DataFrame({"t": times.append([times] * (k - 1)) if k > 1 else times,
                         "release": np.repeat(np.array(versions, dtype=object), len(times)),
                         **{name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]},
                         "index_age_h": np.tile(age_h, k)})


def _shift_index_age(scenario: Scenario, index_builds: tuple[int, ...]) -> np.ndarray:
    """``index_age_hours`` at each minute of the shift, with extra builds at these shift minutes (the same for
    every re-simulation of a night, so worked out once per index, shift and builds; the models are frozen).
    Read-only: it is shared."""
    return _index_age_over(scenario.index, scenario.shift, index_builds)


@lru_cache(maxsize=64)
def _index_age_over(index: Index, shift: Shift, index_builds: tuple[int, ...]) -> np.ndarray:
    times = pd.date_range(shift.start, periods=shift.minutes, freq="min", name="t")   # minute_index's minutes
    age_h = _index_age(index, times, [shift.start + timedelta(minutes=m) for m in index_builds])
    age_h.flags.writeable = False
    return age_h


@lru_cache(maxsize=64)
def _expected_rpm(traffic, start: datetime, minutes: int) -> np.ndarray:
    """The traffic model's expected requests per minute, minute by minute (the same for every re-simulation; the
    model is frozen, so equal fields are one cache entry). Read-only: it is shared."""
    times = pd.date_range(start, periods=minutes, freq="min").to_pydatetime()
    rpm = np.array([traffic.rpm_at(t) for t in times])
    rpm.flags.writeable = False
    return rpm


def _outcomes(release: Release, n: np.ndarray, times: pd.DatetimeIndex, age_h: np.ndarray, scenario: Scenario,
              seed: int, latency_threshold_ms: float, catalog: Catalog, plan: ServingPlan) -> dict[str, np.ndarray]:
    """Draw one release's outcomes for ``n[m]`` requests in each minute m (one stream per release and quantity)."""

    def rng(quantity: str) -> np.random.Generator:
        return rng_for(seed, f"{release.version}:{quantity}")

    model = catalog.models[release.model]
    mix = catalog.intent_mix
    intents = rng("intents").multinomial(n, [mix["kb_question"], mix["order_lookup"], mix["refund"]])
    lookup, refund = intents[:, 1], intents[:, 2]
    tool_calls_lookup = rng("tool_calls_lookup").binomial(lookup, catalog.tool_call_ratio)
    # The refund_tool kill switch: off, refund requests go to a human agent instead (no tool call, no error).
    refund_on = plan.flag_on("refund_tool", len(n), catalog.flags["refund_tool"].default if "refund_tool" in catalog.flags else True)
    tool_calls_refund = rng("tool_calls_refund").binomial(refund, catalog.tool_call_ratio) * refund_on
    # A tool whose schema the API rejects fails on every call; otherwise only the API's background errors.
    # Bursty noise (traffic.burst_dispersion k): a Gamma(k, 1/k) factor per minute on every failure chance below.
    k = scenario.traffic.burst_dispersion
    burst = rng("burst").gamma(k, 1 / k, len(n)) if k else 1.0

    def bursty(p):
        return np.clip(p * burst, 0, 1) if k else p

    p_lookup = 1.0 if not catalog.tool_accepts(release.tool_schema, "lookup_order") else bursty(catalog.tool_api.error_ratio)
    p_refund = 1.0 if not catalog.tool_accepts(release.tool_schema, "issue_refund") else bursty(catalog.tool_api.error_ratio)
    errors_tool = (rng("errors_lookup").binomial(tool_calls_lookup, p_lookup)
                   + rng("errors_refund").binomial(tool_calls_refund, p_refund))
    # The model provider: its own background errors, or (during a provider outage) the outage's error ratio,
    # unless traffic has failed over to the secondary provider (a little slower, its own error ratio).
    outage, outage_ratio = provider_outage(plan, times, model.error_ratio)
    failed_over = plan.flag_on("failover", len(n), False)
    if release.provider_failover == "auto":
        failed_over = failed_over | outage
    p_provider = bursty(np.where(failed_over, catalog.failover.error_ratio, outage_ratio))
    errors_provider = rng("errors_provider").binomial(n - errors_tool, p_provider)
    answered = n - errors_tool - errors_provider
    # On the secondary every request is latency_factor slower: the share over a threshold is the primary's share
    # over threshold / latency_factor.
    factor = catalog.failover.latency_factor

    def share_over(threshold_ms: float) -> np.ndarray:
        return bursty(np.where(failed_over, model.share_slower_than(threshold_ms / factor),
                               model.share_slower_than(threshold_ms)))

    errors_timeout = rng("errors_timeout").binomial(answered, share_over(catalog.timeout_ms))
    answered = answered - errors_timeout
    slow = rng("slow").binomial(answered, share_over(latency_threshold_ms))
    graded = rng("graded").binomial(answered, catalog.graded_ratio)
    # Answers go wrong on knowledge questions whose document changed after the index was built.
    now = times.as_unit("ns").asi8
    built = now - np.round(age_h * 3.6e12).astype(np.int64)
    stale = catalog.intent_mix["kb_question"] * stale_doc_share(built, now)
    # A graded answer that quotes a document's superseded fact is stale (and wrong); the rest are right with the
    # answer model's chance for a graded answer drawn at random from traffic (the same model the evals sample).
    stale_answers = rng("stale_answers").binomial(graded, stale)
    p_correct = live_p_correct(release, catalog)
    truly_correct = rng("correct").binomial(graded - stale_answers, p_correct)
    # The quality SLI counts what the LLM judge says of them (service/judge.py): it fails a few right answers and
    # passes some wrong ones (stale ones too); ``correct`` is "judged correct", as in a real service.
    correct = catalog.judge.judged_correct(truly_correct, graded - truly_correct, rng("judge_right"),
                                           rng("judge_wrong"))
    tokens = rng("tokens").poisson(n * model.tokens_per_request)
    errors = errors_tool + errors_provider + errors_timeout
    return {"requests": n, "errors": errors, "errors_tool": errors_tool, "errors_provider": errors_provider,
            "errors_timeout": errors_timeout, "slow": slow, "graded": graded, "correct": correct,
            "stale_answers": stale_answers, "tokens": tokens}


def provider_outage(plan: ServingPlan, times: pd.DatetimeIndex, background: float) -> tuple[np.ndarray, np.ndarray]:
    """Per minute: is the model provider failing (an outage of the plan), and the share of calls it fails (the
    outage's ratio, else the model's ``background`` error ratio)?"""
    t = times.as_unit("ns").asi8
    failing = np.zeros(len(times), dtype=bool)
    ratio = np.full(len(times), background, dtype=float)
    for starts_at, ends_at, error_ratio in plan.provider_outages:
        on = t >= pd.Timestamp(starts_at).value
        if ends_at is not None:
            on &= t < pd.Timestamp(ends_at).value
        failing |= on
        ratio = np.where(on, error_ratio, ratio)
    return failing, ratio


HISTORY_DAYS = 3  # the longest alert window (the workbook's 3-day ticket tier) must start full


def simulate_history(scenario: Scenario, seed: int, latency_threshold_ms: float = 4000,
                     catalog: Catalog | None = None, days: int = HISTORY_DAYS,
                     max_index_age_h: float = MAX_INDEX_AGE_H) -> pd.DataFrame:
    """The days before the shift, served by the last good release: the history every alert window reads.

    Its own random streams (the seed is offset), so it never shifts a draw of the shift itself.
    """
    start = scenario.shift.start - timedelta(days=days)
    before = scenario.model_copy(update={"shift": Shift.model_construct(start=start, length_h=24 * days)})
    good = scenario.releases.last_good
    plan = ServingPlan(releases={good.version: good}, changes=[(0, {good.version: 1.0})])
    return totals(simulate(before, plan, seed + 1_000_003, latency_threshold_ms, catalog, max_index_age_h))


def totals(long: pd.DataFrame) -> pd.DataFrame:
    """The service as a whole: counts summed over releases per minute (index ``t``); index age kept.

    ``long`` is ``simulate``'s frame: one block of the same minutes, in time order, per release."""
    n_rel = long["release"].nunique()
    times = long["t"].to_numpy(dtype="datetime64[ns]").reshape(n_rel, -1)
    if not (times == times[0]).all():
        raise ValueError("totals: expected simulate's frame, one block of the same minutes per release")
    n_min = times.shape[1]
    counts = long[list(COUNT_COLUMNS)].to_numpy().reshape(n_rel, n_min, len(COUNT_COLUMNS)).sum(axis=0)
    summed = pd.DataFrame(counts, index=pd.DatetimeIndex(long["t"].iloc[:n_min], name="t"),
                          columns=list(COUNT_COLUMNS))
    summed["index_age_h"] = long["index_age_h"].to_numpy()[:n_min]
    return summed
