"""report.html: one self-contained page of the whole shift, written with every run's artifacts."""
import re

import pytest

from oncall.cli import main


@pytest.mark.slow
def test_the_report_is_self_contained_and_shows_the_whole_shift(tmp_path, capsys):
    assert main(["drill", "--seed", "5", "--out", str(tmp_path / "run")]) == 0
    page = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    for heading in ("The scorecard", "Figures", "The story", "Metrics", "Postmortem", "Handoff"):
        assert f"<h2>{heading}" in page, heading
    assert page.count("data:image/png;base64,") >= 4          # the scorecard, timeline, traffic, burn (+ canary)
    assert not re.search(r"""(src|href)=["']?https?://""", page)  # nothing to fetch: it opens offline
    assert "page.sent" in page and "release.rolled_back" in page and "canary.verdict" in page
    assert "<h2>Root cause</h2>" in page                         # the postmortem rendered as HTML
