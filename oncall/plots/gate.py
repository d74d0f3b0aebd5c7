"""Plots of the gate phase (M26): the scorecard at a glance."""
from __future__ import annotations

import matplotlib.pyplot as plt

PASS, FAIL, NOT_RUN = "#009E73", "#D55E00", "#BBBBBB"


def scorecard_chart(card: dict, ax=None, title: str | None = None):
    """One row per gate check: green pass, vermilion fail, grey not run; the module of each in its label."""
    checks = card["checks"]
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 0.42 * len(checks) + 1.2))
    for i, c in enumerate(reversed(checks)):
        not_run = str(c["detail"]).startswith("not run")
        colour = PASS if c["passed"] else NOT_RUN if not_run else FAIL
        ax.barh(i, 1, color=colour)
        ax.text(0.02, i, f"{'pass' if c['passed'] else 'not run' if not_run else 'FAIL'}  {c['name']}",
                va="center", ha="left", color="white" if colour != NOT_RUN else "black", fontsize=9)
    ax.set_yticks([])
    ax.set_xticks([])
    ax.set_xlim(0, 1)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    passed = sum(c["passed"] for c in checks)
    verdict = "GREEN" if card["passed"] else "RED"
    ax.set_title(title or f"The gate is {verdict}: {passed} of {len(checks)} checks pass "
                          f"(break: {card.get('break', 'none')})")
    fig.tight_layout()
    return fig
