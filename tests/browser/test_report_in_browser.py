"""report.html in a real browser, as a portfolio page: at a phone's width (420 px) and a desk's (1280 px) it never
scrolls sideways, its figures take the page's width, its story wraps, and it fetches nothing (a request anywhere
but the page itself fails the test). Both widths are saved as screenshots to look at."""
from __future__ import annotations

import pytest

from oncall.cli import main

WIDTHS = (420, 1280)
# How far the page reaches past the viewport, and the widest element that does (for the failure message).
OVERFLOW = """() => {
  const doc = document.documentElement, view = doc.clientWidth;
  let widest = null, right = view;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 0.5) { right = r.right; widest = el.tagName + (el.className ? '.' + el.className : ''); }
  }
  return {scroll: doc.scrollWidth - view, widest, right, view};
}"""
FIGURES = """() => {
  const body = document.body, style = getComputedStyle(body);
  const content = body.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {content, widths: [...document.querySelectorAll('figure img')].map(i => i.getBoundingClientRect().width)};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["drill", "--seed", "7", "--out", str(out)]) == 0
    return out / "report.html"


@pytest.mark.parametrize("width", WIDTHS)
def test_report_has_no_horizontal_scroll(report, page, screenshots, width):
    fetched = []

    def only_the_page(route):
        if not route.request.url.startswith(("file://", "data:")):
            fetched.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", only_the_page)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshots / f"report_{width}px.png"), full_page=True)
    assert not fetched, f"report.html fetched {fetched}"
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] <= 0, f"scrolls sideways at {width} px: {overflow}"
    figures = page.evaluate(FIGURES)
    assert len(figures["widths"]) >= 4, figures
    assert all(w >= figures["content"] - 1 for w in figures["widths"]), f"figures narrower than the page: {figures}"
    assert page.locator("nav.toc a").count() >= 6               # the table of contents
    story = page.locator("pre.story")
    assert story.evaluate("e => e.scrollWidth <= e.clientWidth"), "the story is cut on the right"
