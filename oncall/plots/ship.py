"""Plots of the ship phase (M33): canary vs baseline per metric per interval; scores against the bands."""
from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..release_ops.canary import CanaryRun, JudgeConfig
from . import lay_out

METRICS = {"error_ratio": ("errors", "requests", "error ratio (%)", 100),
           "slow_ratio": ("slow", "requests", "slower than 4 s (%)", 100),
           "quality": ("correct", "graded", "graded answers correct (%)", 100),
           "tokens_per_request": ("tokens", "requests", "tokens per request", 1)}
BASELINE, CANARY = "#0072B2", "#D55E00"
CLASS_MARK = {"pass": "o", "high": "^", "low": "v", "nodata": "x"}


def _label(iv) -> str:
    return f"{iv.weight:g} %" + (f" +{iv.hold}" if iv.hold else "")


def canary_vs_baseline(run: CanaryRun, title: str | None = None):
    """One panel per metric: the pooled value of baseline and canary in each analysis interval; the canary's
    marker says the judge's call (o pass, ^ high, v low, x no data)."""
    fig, axes = plt.subplots(1, len(METRICS), figsize=(12, 3.2))
    x = np.arange(len(run.intervals))
    for ax, (name, (num, den, label, scale)) in zip(axes, METRICS.items()):
        for who, colour in (("baseline", BASELINE), ("canary", CANARY)):
            values = [scale * getattr(iv, who)[num].sum() / max(getattr(iv, who)[den].sum(), 1)
                      for iv in run.intervals]
            ax.plot(x, values, color=colour, lw=1, label=who)
            if who == "canary":
                for xi, v, iv in zip(x, values, run.intervals):
                    ax.scatter(xi, v, color=colour, marker=CLASS_MARK[iv.judgment.metric(name).classification], s=50,
                               zorder=3)
            else:
                ax.scatter(x, values, color=colour, s=20)
        ax.set_xticks(x, [_label(iv) for iv in run.intervals], fontsize=8)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("canary weight (+ held intervals)", fontsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle(title or f"Canary {run.release} vs baseline {run.baseline_release}: {run.verdict}")
    fig.tight_layout()
    return fig


def canary_scores(run: CanaryRun, config: JudgeConfig, start=None, title: str | None = None,
                  layouts: dict | None = None):
    """The score of each analysis against the pass and marginal bands (left), and the canary weight over
    simulated time (right): clock time (UTC) from ``start``, the shift's start, like every other plot; without it,
    minutes since the shift started. ``layouts``: a widget's, see ``lay_out``."""
    fig, (ax, aw) = plt.subplots(1, 2, figsize=(12, 3.2), gridspec_kw={"width_ratios": [1.2, 1]})
    x = np.arange(len(run.intervals))
    ax.axhspan(config.pass_score, 100, color="#009E73", alpha=0.12)
    ax.axhspan(config.marginal_score, config.pass_score, color="#E69F00", alpha=0.15)
    ax.axhline(config.pass_score, color="#009E73", ls="--", lw=1)
    ax.axhline(config.marginal_score, color="#D55E00", ls="--", lw=1)
    colours = {"pass": "#009E73", "marginal": "#E69F00", "fail": "#D55E00", "inconclusive": "#999999"}
    ax.bar(x, [iv.judgment.score for iv in run.intervals], color=[colours[iv.judgment.verdict]
                                                                 for iv in run.intervals])
    for xi, iv in zip(x, run.intervals):
        ax.text(xi, 2, iv.judgment.verdict, ha="center", fontsize=7, rotation=90, va="bottom")
    ax.set_xticks(x, [_label(iv) for iv in run.intervals], fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("score")
    # The bands' lines named on a right-hand axis, beside the bars rather than over them.
    bands = ax.twinx()
    bands.set_ylim(ax.get_ylim())
    bands.set_yticks([config.marginal_score, config.pass_score],
                     [f"fail at or below {config.marginal_score:g}", f"pass at {config.pass_score:g}"], fontsize=8)
    for tick, colour in zip(bands.get_yticklabels(), ("#D55E00", "#009E73")):
        tick.set_color(colour)
    ax.set_title("score per analysis")
    minutes = [m for m, _ in run.weights] + [run.end + 10 if run.end is not None else run.weights[-1][0] + 10]
    weights = [w for _, w in run.weights]
    when = minutes if start is None else [pd.Timestamp(start) + pd.Timedelta(minutes=m) for m in minutes]
    aw.step(when, weights + [weights[-1]], where="post", color="#009E73")
    aw.set_ylim(-5, 105)
    aw.set_ylabel("canary weight (%)")
    if start is None:
        aw.set_xlabel("minutes since the shift started")
    else:
        aw.xaxis.set_major_locator(mdates.MinuteLocator(byminute=[0, 15, 30, 45], tz="UTC"))
        aw.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
        aw.set_xlabel("simulated time (UTC)")
    aw.set_title("canary weight over time")
    fig.suptitle(title or f"Canary {run.release}: {run.verdict} ({textwrap.shorten(run.reason, 90, placeholder=' ...')})", fontsize=10)
    lay_out(fig, layouts)
    return fig
