"""report.html: the shift as one self-contained page (plots embedded, nothing fetched), what a learner posts to
show they can operate an AI system. An edge of the package: it draws with oncall.plots (matplotlib), imported
only when a run writes its artifacts (and only where the course extra installed matplotlib).

The page reads on a phone as on a desk: it never scrolls sideways (at 420 px either; tests/browser checks), figures
take the page's width, the story wraps, a table of contents comes first, headings go in order (the postmortem's
and the handoff's own headings sit one level under the page's title), and metrics carry words and units instead
of their JSON names.
"""
from __future__ import annotations

import html
import re

from .incident_response import budget

# The scorecard's metrics in words, with their units (JSON names stay in scorecard.json; DESIGN.md "Scorecard").
METRIC_LABELS = {
    "time_to_detect_min": "time to detect (bad deploy to page), min",
    "time_to_first_page_min": "time to the first page, min",
    "time_to_acknowledge_min": "time to acknowledge the page, min",
    "time_to_mitigate_min": "time to mitigate (bad deploy to mitigation), min",
    "time_to_resolve_min": "time to resolve, min",
    "budget_consumed_pct": f"error budget {budget.SPENT_NAME}, % of 30 days",
    "budget_remaining_pct_at_canary": f"error budget {budget.LEFT_NAME} at the canary, %",
    "alerts_total": "alert notifications received",
    "notifications_sent": "notifications sent to a person",
    "incidents_opened": "incidents opened",
    "noise_reduction_pct": "noise reduction (1 - notifications / alerts), %",
    "distinct_alerts": "distinct alerts",
    "noise_reduction_distinct_pct": "noise reduction on distinct alerts, %",
    "group_notifications": "group notifications",
    "grouping_precision": "grouping precision (0-1)",
    "grouping_recall": "grouping recall (0-1)",
    "baseline_incidents_opened": "naive baseline: incidents opened (one per alert name)",
    "baseline_grouping_precision": "naive baseline: grouping precision (0-1)",
    "baseline_grouping_recall": "naive baseline: grouping recall (0-1)",
    "page_severity": "page severity",
    "tickets_total": "support tickets received",
    "tickets_linked": "tickets linked to an incident",
    "tickets_linked_to_paged_incident": "tickets linked to the paged incident",
    "ticket_link_precision": "ticket link precision (0-1)",
    "ticket_link_recall": "ticket link recall (0-1)",
    "ticket_link_f1": "ticket link F1 (0-1)",
    "baseline_ticket_link_f1": "naive baseline: ticket link F1 (0-1)",
    "ticket_duplicate_f1": "duplicate ticket F1 (0-1)",
    "canary_intervals": "canary analyses",
}
_UNITS = (("_min", "min"), ("_pct", "%"), ("_ms", "ms"), ("_h", "h"), ("_f1", "F1 (0-1)"))


def metric_label(name: str) -> str:
    """A metric's words and unit: METRIC_LABELS, else its name in words with the unit its suffix names."""
    if name in METRIC_LABELS:
        return METRIC_LABELS[name]
    for suffix, unit in _UNITS:
        if name.endswith(suffix):
            return f"{name[:-len(suffix)].replace('_', ' ')}, {unit}"
    return name.replace("_", " ")


def _value(value) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else f"{int(value)}"
    return str(value)


def _breakable(name: str) -> str:
    """A snake_case name that may wrap after its underscores on a narrow screen."""
    return html.escape(name).replace("_", "_<wbr>")


def _png(fig) -> str:
    from .plots import data_uri

    return data_uri(fig, dpi=100)


def _markdown(text: str, shift: int = 1) -> str:
    """Markdown as HTML, every heading ``shift`` levels down (a document's H1 under the page's H1)."""
    try:
        import mistune
    except ImportError:  # the course extra brings it (with nbconvert); without it the text stays readable
        return f"<pre class=wrap>{html.escape(text)}</pre>"
    out = mistune.html(text)
    out = out.replace("<table>", "<div class=table><table>").replace("</table>", "</table></div>")  # scrolls alone
    return re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m[1]}h{min(int(m[2]) + shift, 6)}", out)


def _period_total(record, slo: str) -> float:
    return budget.period_events(record.scenario.traffic, record.slos[slo].period_min)


def _figures(record) -> list[tuple[str, str, str]]:
    """(title, PNG data URI, caption) for each figure."""
    from .plots import service_overview, shift_timeline
    from .plots.detect import burn_chart

    trace, sc = record.trace.to_frame(), record.scenario
    markers = trace[trace.kind.isin(["release.deployed", "release.rolled_back", "page.sent"])]
    out = [("The shift by course module", _png(shift_timeline(trace, span=(sc.shift.start, sc.shift.end))), ""),
           ("Traffic and errors", _png(service_overview(record.service, markers)), "")]
    if record.page is not None:
        slo = record.page.slo
        out.append(("The error budget burn", _png(burn_chart(record.service, record.slos[slo], record.evaluations[slo],
                                                             record.page, events=trace, history=record.history,
                                                             period_total=_period_total(record, slo))),
                    f"Top: the error budget {budget.LEFT_NAME}; "
                    f"{budget.history_words(record.slos[slo], record.history)}."))
    if record.canary is not None and getattr(record.canary, "intervals", None):
        from .plots.ship import canary_vs_baseline

        out.append(("The canary against the baseline", _png(canary_vs_baseline(record.canary)), ""))
    return out


CSS = """*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,sans-serif;line-height:1.45;max-width:1100px;margin:0 auto;padding:1em;color:#222;
overflow-wrap:break-word}
h1{font-size:1.6em;line-height:1.2}
nav.toc{background:#f4f6f8;border-radius:6px;padding:.5em 1em}
nav.toc ol{margin:.3em 0;padding-left:1.4em}
figure{margin:1em 0}
figure img{display:block;width:100%;height:auto}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
.table{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:1em 0;width:100%}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ok{color:#007a55}
.bad{color:#c0392b;font-weight:bold}
pre.wrap,pre.story{background:#f6f6f6;padding:1em;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;
word-break:normal}
code{overflow-wrap:anywhere}"""


def render_report(record, card: dict) -> str:
    """The whole shift as one HTML page: verdict, a table of contents, the scorecard, figures, the incident's story,
    metrics, the postmortem and the handoff."""
    from .plots.gate import scorecard_chart
    from .story import story_lines

    sc, esc = record.scenario, html.escape
    incident = record.paged_incident
    key = [e for e in record.trace.events
           if e.module in ("M31", "M33", "M26", "M27") or e.refs.get("incident") == incident and e.kind != "alert.fired"]
    rows = "".join(f"<tr><td>{_breakable(c['name'])}</td><td class={'ok' if c['passed'] else 'bad'}>"
                   f"{'pass' if c['passed'] else 'FAIL'}</td><td>{esc(str(c['detail']))}</td></tr>"
                   for c in card["checks"])
    metrics = "".join(f"<tr><td>{esc(metric_label(k))}</td><td class=num>{esc(_value(v))}</td></tr>"
                      for k, v in card["metrics"].items())
    figures = "".join(f"<h3>{esc(t)}</h3><figure><img alt='{esc(t)}' src='{src}'>"
                      + (f"<figcaption>{esc(cap)}</figcaption>" if cap else "") + "</figure>"
                      for t, src, cap in _figures(record))
    postmortem = record.artifacts.get("postmortem.md")
    handoff = record.artifacts.get("handoff.md")
    sections = [("scorecard", "The scorecard"), ("figures", "Figures"), ("story", "The story"), ("metrics", "Metrics")]
    if postmortem:
        sections.append(("postmortem", "Postmortem"))
    if handoff:
        sections.append(("handoff", "Handoff"))
    toc = "".join(f"<li><a href='#{i}'>{esc(t)}</a></li>" for i, t in sections)
    verdict = "GREEN" if card["passed"] else "RED"
    # The postmortem's and the handoff's H1 become the H2 of their section (headings in order); ids for the contents.
    pm_html = (re.sub(r"<h2>", "<h2 id=postmortem>", _markdown(postmortem), count=1) if postmortem else "")
    ho_html = (re.sub(r"<h2>", "<h2 id=handoff>", _markdown(handoff), count=1) if handoff else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>On-call shift: {esc(sc.title)}</title>
<style>{CSS}</style></head><body>
<h1>On-call shift: {esc(sc.title)}</h1>
<p>Scenario {esc(sc.name)}, seed {record.seed}, break {esc(record.break_mode)}. Shift {sc.shift.start:%Y-%m-%d %H:%M}
to {sc.shift.end:%H:%M} UTC. The gate is <b class={'ok' if card['passed'] else 'bad'}>{verdict}</b>:
{sum(c['passed'] for c in card['checks'])} of {len(card['checks'])} checks pass. Incident response (M31), the support desk
(M32) and release operations (M33) acted on {esc(str(incident))}.</p>
<nav class=toc aria-label="Contents"><b>Contents</b><ol>{toc}</ol></nav>
<h2 id=scorecard>The scorecard</h2>
<figure><img alt="The gate's checks, pass or fail" src="{_png(scorecard_chart(card))}"></figure>
<div class=table><table><tr><th>check</th><th>verdict</th><th>why</th></tr>{rows}</table></div>
<h2 id=figures>Figures</h2>{figures}
<h2 id=story>The story</h2>
<p>Incident response, release operations, evals and the service, one event a line; alerts folded.</p>
<pre class=story>{esc(chr(10).join(story_lines(key)))}</pre>
<h2 id=metrics>Metrics</h2><div class=table><table><tr><th>metric</th><th>value</th></tr>{metrics}</table></div>
{pm_html}
{ho_html}
</body></html>
"""
