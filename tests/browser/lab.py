"""What the browser tests do in JupyterLab: a menu item, Run All that survives a kernel not yet connected, and when
Run All is done (or has stopped short)."""
from __future__ import annotations

import re

STARTED_TIMEOUT_MS = 60_000
RAN_TIMEOUT_MS = 120_000   # the first cell to finish, on a loaded 2-core machine
# Some code cell has finished ("[1]:") in the notebook shown.
RAN = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
                 .some(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()))"""

# Done when every code cell has run; 'error' on an error output; 'stopped' when the kernel is idle with nothing queued
# or running and a cell never ran: an error stops Run All, and its output may be out of the page's view.
DONE = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!nb) return null;
  if (nb.querySelector('.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')) return 'error';
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
  if (prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p))) return 'done';
  const idle = nb.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
  if (idle && !prompts.some(p => p === '[*]:') && prompts.some(p => /^\\[ ?\\]:$/.test(p))) return 'stopped';
  return null;
}"""


def menu(page, menu: str, item: str) -> None:
    """Click ``menu`` > ``item`` in JupyterLab's menu bar; a dialog in the way is an error, with its text."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError("a dialog stands in the way: " + dialog.first.inner_text()[:500])
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def run_all(page, started: str, tries: int = 3) -> None:
    """Run > Run All Cells until ``started`` (a page function) says a cell has started and then one has finished:
    a Run All sent before the kernel is connected is dropped (every prompt stays "[ ]"), and one queued on a kernel
    JupyterLab replaces just after (it sometimes starts two for a notebook and shuts the first down) is lost with
    it ("[*]" never turns into a number), so it is sent again."""
    for attempt in range(tries):
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(started, timeout=STARTED_TIMEOUT_MS)
            page.wait_for_function(RAN, timeout=RAN_TIMEOUT_MS)
            return
        except Exception:
            if attempt == tries - 1:
                raise
