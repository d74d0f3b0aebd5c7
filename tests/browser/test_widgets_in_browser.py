"""The widgets work in a real browser: JupyterLab runs a notebook from its menu, a slider moved with the keyboard
redraws its figure; the Voilà console's break-a-release dropdown redraws the burn chart.

A widget that renders in a headless kernel but not in a browser is broken, and only a browser can tell. Each test
compares the figure's image (its data URL) before and after moving the widget, and saves both as screenshots.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

from lab import DONE, run_all

CONSOLE = "/voila/render/console.ipynb"   # where `make console` serves the console

NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"

RUN_TIMEOUT_MS = 300_000   # Run All on a loaded 2-core machine
REDRAW_TIMEOUT_MS = 60_000
KERNEL_TIMEOUT_MS = 180_000  # the kernel's first start on a fresh clone
# Run All has started when some code cell is queued or running ("[*]") or has run ("[1]").
STARTED = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                     .some(p => /^\\[(\\*|\\d+)\\]:$/.test(p.textContent.trim()))"""

# Marks the Output widget that draws the figure of the first slider on the page (the nearest ancestor of the
# slider that holds an Output with an image), so later checks read that figure, and returns the slider's value.
MARK_FIGURE = """() => {
  const slider = document.querySelector('.widget-slider');
  if (!slider) return null;
  for (let box = slider.parentElement; box; box = box.parentElement) {
    const out = box.querySelector('.widget-output img') && box.querySelector('.widget-output');
    if (out) { out.setAttribute('data-oncall-figure', '1'); return true; }
  }
  return null;
}"""
FIGURE_SRC = "() => { const i = document.querySelector('[data-oncall-figure] img'); return i ? i.src : null; }"


def _widget_notebook() -> str:
    """00_tour: its seed slider re-runs the whole shift and redraws the timeline. (01_detect's Run All takes
    about two minutes in a browser on a 2-core machine; the tour proves the same widget machinery in seconds.)"""
    return "00_tour.ipynb"


def _png(src: str) -> bytes:
    assert src.startswith("data:image/png;base64,"), src[:60]
    return base64.b64decode(src.split(",", 1)[1])


def test_jupyterlab_run_all_then_the_slider_redraws_the_figure(lab_server, page, screenshots):
    name = _widget_notebook()
    page.goto(lab_server.url(f"/lab/tree/{name}"))
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    # The kernel must be up before Run All: on a fresh clone its first start compiles every module and takes a
    # while, and a Run All sent before the kernel is connected is dropped (every prompt stays "[ ]"). So wait
    # for the notebook's execution indicator to say idle, and send Run All again if no cell has started.
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', state="attached",
                           timeout=KERNEL_TIMEOUT_MS)
    run_all(page, STARTED)
    try:
        # Done when every code cell has a number in its prompt (the copy was served without any); an error stops
        # Run All, so also stop waiting when one is shown or when Run All has stopped short (lab.DONE).
        state = page.wait_for_function(DONE, timeout=RUN_TIMEOUT_MS).json_value()
    finally:
        page.screenshot(path=screenshots / "lab_run_all.png", full_page=False)
    errors = page.locator('.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')
    assert errors.count() == 0, errors.first.inner_text()[:2000]
    assert state == "done", state

    assert page.wait_for_function(MARK_FIGURE, timeout=REDRAW_TIMEOUT_MS).json_value(), "no slider with a figure"
    figure = page.locator("[data-oncall-figure]")
    slider = page.locator(".widget-slider").first
    slider.scroll_into_view_if_needed()
    before_src = page.evaluate(FIGURE_SRC)
    before_value = slider.locator(".widget-readout").inner_text()
    page.screenshot(path=screenshots / "lab_before.png")
    figure.screenshot(path=screenshots / "lab_figure_before.png")

    slider.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({FIGURE_SRC})() && ({FIGURE_SRC})() !== {json.dumps(before_src)}",
                           timeout=REDRAW_TIMEOUT_MS)
    after_src = page.evaluate(FIGURE_SRC)
    after_value = slider.locator(".widget-readout").inner_text()
    slider.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "lab_after.png")
    figure.screenshot(path=screenshots / "lab_figure_after.png")

    assert after_value != before_value, (before_value, after_value)
    assert _png(after_src) != _png(before_src), "the figure did not change"


def test_voila_console_break_a_release_redraws_the_burn_chart(voila_server, page, screenshots):
    page.set_viewport_size({"width": 1400, "height": 2800})   # the whole console in one screenshot
    page.goto(voila_server.url(CONSOLE), wait_until="commit", timeout=RUN_TIMEOUT_MS)
    # The console is ready when Voila has run every cell (the check cell, hidden in the app, is the last) and shows
    # the page, with its burn chart drawn.
    page.wait_for_selector("#rendered_cells", state="visible", timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector(".oncall-burn img", timeout=RUN_TIMEOUT_MS)
    burn = "() => document.querySelector('.oncall-burn img').src"
    gate = "() => { const i = document.querySelector('.oncall-gate img'); return i ? i.src : null; }"
    status = page.locator(".oncall-status")
    before_src, before_status, before_gate = page.evaluate(burn), status.inner_text(), page.evaluate(gate)
    page.screenshot(path=screenshots / "console_before.png", full_page=True)
    page.locator(".oncall-burn").screenshot(path=screenshots / "console_burn_before.png")

    page.select_option(".oncall-break select", "no-mitigation")
    page.wait_for_function(f"() => document.querySelector('.oncall-burn img') && ({burn})() !== "
                           f"{json.dumps(before_src)}", timeout=REDRAW_TIMEOUT_MS)
    page.wait_for_function(f"() => document.querySelector('.oncall-status').innerText !== "
                           f"{json.dumps(before_status)}", timeout=REDRAW_TIMEOUT_MS)
    # The gate's scorecard is the last panel redrawn: once it has changed, every panel has.
    page.wait_for_function(f"() => ({gate})() && ({gate})() !== {json.dumps(before_gate)}", timeout=REDRAW_TIMEOUT_MS)
    after_src, after_status = page.evaluate(burn), status.inner_text()
    page.screenshot(path=screenshots / "console_after.png", full_page=True)
    page.locator(".oncall-burn").screenshot(path=screenshots / "console_burn_after.png")

    assert _png(after_src) != _png(before_src), "the burn chart did not change"
    assert "never" in after_status and "never" not in before_status, (before_status, after_status)
    assert "mitigated after" in before_status
