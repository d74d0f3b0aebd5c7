"""Plots of the gate phase (M26): the scorecard at a glance."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from ..checks import CHECK_PHASE
from . import lay_out

PASS, FAIL, NOT_RUN = "#009E73", "#D55E00", "#BBBBBB"
# The shift's phases in the order they run, with the course module that answers for each.
PHASE_ORDER = (("detect", "M31, M32"), ("triage", "M32"), ("mitigate", "M31, M33"), ("learn", "M31, M26"),
               ("ship", "M33, M26"), ("gate", "M26"))


def _tile_text(name: str, verdict: str) -> str:
    """The verdict over the check's own name, wrapped after its underscores (the name stays searchable)."""
    return f"{verdict}\n" + "\n".join(part.replace(" ", "") for part in textwrap.wrap(name.replace("_", "_ "), 17))


def _columns(card: dict) -> dict:
    """The card's checks by the phase that answers each, in the order the phases run (an unknown one last)."""
    columns = {phase: [] for phase, _ in PHASE_ORDER}
    for c in card["checks"]:
        columns.setdefault(CHECK_PHASE.get(c["name"], "other"), []).append(c)
    return columns


def _rows(columns: dict) -> int:
    return max(len(v) for v in columns.values()) if any(columns.values()) else 1


def scorecard_size(card: dict) -> tuple[float, float]:
    """The scorecard chart's figure size (inches): a row of tiles an inch high per check of the busiest phase."""
    return (10, 1.0 * _rows(_columns(card)) + 1.3)


def scorecard_chart(card: dict, ax=None, title: str | None = None, layouts: dict | None = None):
    """The gate's checks as tiles, one column per phase of the shift in the order it runs (green pass, vermilion
    fail, grey not run), so a red tile says at once which part of the shift went wrong. ``ax``: draw into it (a
    figure of ``scorecard_size``, or a panel of a larger one); ``layouts``: a widget's, see ``lay_out``."""
    checks = card["checks"]
    columns = _columns(card)
    phases = [p for p in columns if columns[p]]
    modules = dict(PHASE_ORDER)
    rows = _rows(columns)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=scorecard_size(card))
    for x, phase in enumerate(phases):
        for y, c in enumerate(columns[phase]):
            not_run = str(c["detail"]).startswith("not run")
            colour = PASS if c["passed"] else NOT_RUN if not_run else FAIL
            verdict = "pass" if c["passed"] else "not run" if not_run else "FAIL"
            ax.add_patch(FancyBboxPatch((x + 0.06, rows - y - 0.94), 0.88, 0.86, boxstyle="round,pad=0,rounding_size=0.06",
                                        facecolor=colour, edgecolor="none"))
            ax.text(x + 0.5, rows - y - 0.51, _tile_text(c["name"], verdict), ha="center", va="center", fontsize=8.5,
                    color="white" if colour != NOT_RUN else "black", fontweight="bold" if not c["passed"] else None)
    ax.set_xlim(0, max(len(phases), 1))
    ax.set_ylim(0, rows)
    ax.set_xticks([x + 0.5 for x in range(len(phases))],
                  [f"{p}\n({modules[p]})" if p in modules else p for p in phases], fontsize=9)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_yticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    passed = sum(c["passed"] for c in checks)
    verdict = "GREEN" if card["passed"] else "RED"
    ax.set_title(title or f"The gate is {verdict}: {passed} of {len(checks)} checks pass "
                          f"(break: {card.get('break', 'none')}), by the phase that answers each", fontsize=11)
    lay_out(fig, layouts)
    return fig
