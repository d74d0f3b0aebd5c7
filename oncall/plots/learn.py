"""Plots for the learn phase (M31 -> M26): eval verdicts per case and release, red where a case fails.

The grid is colour-blind safe twice over: Okabe-Ito green and vermillion, and every cell also says PASS or FAIL.
Titles are computed from the results.
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

PASS_COLOUR, FAIL_COLOUR = "#009E73", "#D55E00"


def verdict_table(results: dict) -> "list[tuple[str, list[bool | None]]]":
    """(case id, [passed per column]) for every case seen in ``results`` (column label -> EvalResult), in the
    order the cases first appear; None where a column did not run that case."""
    ids: list[str] = []
    for result in results.values():
        ids += [c.id for c in result.cases if c.id not in ids]
    rows = []
    for case_id in ids:
        row = []
        for result in results.values():
            found = [c for c in result.cases if c.id == case_id]
            row.append(found[0].passed if found else None)
        rows.append((case_id, row))
    return rows


def _one_line(label: str) -> str:
    """'2026.11.3\nbad' -> '2026.11.3 (bad)'."""
    head, _, rest = label.partition("\n")
    return f"{head} ({rest.replace(chr(10), ', ')})" if rest else head


def verdicts_title(results: dict, what: str = "The regression case") -> str:
    """Which columns the cases fail on, in words: 'X is red on A and B, green on C'."""
    red = [label for label, r in results.items() if not r.passed]
    green = [label for label, r in results.items() if r.passed]
    flat = lambda labels: " and ".join(_one_line(label) for label in labels)
    if not red:
        return f"{what} is green on every release: {flat(green)}"
    if not green:
        return f"{what} is red on every release: {flat(red)}"
    return f"{what} is red on {flat(red)}; green on {flat(green)}"


def verdict_grid(results: dict, title: str | None = None, what: str = "The regression case", ax=None):
    """One row per case, one column per release (``results``: column label -> EvalResult); a cell is green with
    PASS or vermillion with FAIL. The bottom row is the suite's verdict with its pass rate."""
    rows = verdict_table(results)
    n_rows, n_cols = len(rows) + 1, len(results)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(
        figsize=(2.1 * n_cols + 3.6, 0.36 * n_rows + 1.5))
    grid = [[(1.0 if ok else 0.0) if ok is not None else float("nan") for ok in row] for _, row in rows]
    grid.append([1.0 if r.passed else 0.0 for r in results.values()])
    ax.imshow(grid, cmap=ListedColormap([FAIL_COLOUR, PASS_COLOUR]), vmin=0, vmax=1, aspect="auto")
    for i, (_, row) in enumerate(rows):
        for j, ok in enumerate(row):
            text = "-" if ok is None else ("PASS" if ok else "FAIL")
            ax.text(j, i, text, ha="center", va="center", color="white", fontsize=9, fontweight="bold")
    for j, r in enumerate(results.values()):
        needs = f", needs {100 * r.suites[0].pass_rate_threshold:.0f} %" if len(r.suites) == 1 else ""
        ax.text(j, n_rows - 1, f"{'PASS' if r.passed else 'FAIL'}: {100 * r.pass_rate:.0f} %{needs}", ha="center",
                va="center", color="white", fontsize=9, fontweight="bold")
    ax.axhline(n_rows - 1.5, color="white", linewidth=4)   # the suite's verdict is not one more case
    ax.set_xticks(range(n_cols), list(results), fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n_rows), [case_id for case_id, _ in rows] + ["the suite (pass rate)"], fontsize=9)
    ax.set_xticks([x + 0.5 for x in range(n_cols - 1)], minor=True)
    ax.set_yticks([y + 0.5 for y in range(n_rows - 1)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="both", length=0)
    # Centred on the figure and wrapped: the row labels make the axes sit right of centre.
    text = title or verdicts_title(results, what)
    if len(text) > 100 and "; " in text:
        text = text.replace("; ", ";\n", 1)
    fig.suptitle("\n".join(textwrap.fill(line, 110) for line in text.split("\n")), fontsize=11)
    fig.tight_layout()
    return fig


def close(fig) -> None:
    plt.close(fig)
