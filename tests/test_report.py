"""report.html: one self-contained page of the whole shift, written with every run's artifacts."""
import re

import pytest

from oncall.cli import main


@pytest.mark.slow
def test_the_report_is_self_contained_and_shows_the_whole_shift(tmp_path, capsys):
    assert main(["drill", "--seed", "5", "--out", str(tmp_path / "run")]) == 0
    page = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    for anchor, heading in (("scorecard", "The scorecard"), ("figures", "Figures"), ("story", "The story"),
                            ("metrics", "Metrics"), ("postmortem", "Postmortem"), ("handoff", "Handoff")):
        assert f"<h2 id={anchor}>{heading}" in page, heading
        assert f"<li><a href='#{anchor}'>" in page, f"{heading} in the table of contents"
    assert page.count("data:image/png;base64,") >= 4          # the scorecard, timeline, traffic, burn (+ canary)
    assert not re.search(r"""(src|href)=["']?https?://""", page)  # nothing to fetch: it opens offline
    assert "page.sent" in page and "release.rolled_back" in page and "canary.verdict" in page
    assert "<h3>Root cause</h3>" in page                         # the postmortem rendered as HTML, one level down


@pytest.mark.slow
def test_the_report_reads_as_a_page_headings_in_order_metrics_in_words(tmp_path, capsys):
    assert main(["drill", "--seed", "7", "--out", str(tmp_path / "run")]) == 0
    page = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 1 and levels.count(1) == 1, "one H1: the page's title (the postmortem's is an H2)"
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not jumps, f"a heading skips a level: {jumps}"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    metrics = page[page.index("<h2 id=metrics>"):page.index("<h2 id=postmortem>")]
    names = re.findall(r"<tr><td>([^<]*)</td>", metrics)
    assert len(names) > 10 and not [n for n in names if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", n)], names
    assert "error budget spent by the incident, % of 30 days" in names
    assert "time to detect (bad deploy to page), min" in names
    assert "<pre class=story>" in page and "white-space:pre-wrap" in page      # the story wraps
    assert "figure img{display:block;width:100%" in page                       # figures at full width


def test_metric_labels_carry_units():
    from oncall.report import metric_label

    assert metric_label("budget_consumed_pct").endswith("% of 30 days")
    assert metric_label("time_to_mitigate_min").endswith(", min")
    assert metric_label("some_new_ratio_pct") == "some new ratio, %"
