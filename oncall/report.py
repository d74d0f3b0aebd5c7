"""report.html: the shift as one self-contained page (plots embedded, nothing fetched), what a learner posts to
show they can operate an AI system. An edge of the package: it draws with oncall.plots (matplotlib), imported
only when a run writes its artifacts (and only where the course extra installed matplotlib)."""
from __future__ import annotations

import html


def _png(fig) -> str:
    from .plots import data_uri

    return data_uri(fig)


def _markdown(text: str) -> str:
    try:
        import mistune
    except ImportError:  # the course extra brings it (with nbconvert); without it the text stays readable
        return f"<pre>{html.escape(text)}</pre>"
    return mistune.html(text)


def _figures(record) -> list[tuple[str, str]]:
    from .plots import service_overview, shift_timeline
    from .plots.detect import burn_chart

    trace, sc = record.trace.to_frame(), record.scenario
    markers = trace[trace.kind.isin(["release.deployed", "release.rolled_back", "page.sent"])]
    out = [("The shift by course module", _png(shift_timeline(trace, span=(sc.shift.start, sc.shift.end)))),
           ("Traffic and errors", _png(service_overview(record.service, markers)))]
    if record.page is not None:
        slo = record.page.slo
        out.append(("The error budget burn", _png(burn_chart(record.service, record.slos[slo], record.evaluations[slo],
                                                             record.page, events=trace))))
    if record.canary is not None and getattr(record.canary, "intervals", None):
        from .plots.ship import canary_vs_baseline

        out.append(("The canary against the baseline", _png(canary_vs_baseline(record.canary))))
    return out


def render_report(record, card: dict) -> str:
    """The whole shift as one HTML page: verdict, figures, the incident's story, the scorecard, the postmortem."""
    from .plots.gate import scorecard_chart
    from .story import story_lines

    sc, esc = record.scenario, html.escape
    incident = record.paged_incident
    key = [e for e in record.trace.events
           if e.module in ("M31", "M33", "M26", "M27") or e.refs.get("incident") == incident and e.kind != "alert.fired"]
    rows = "".join(f"<tr><td>{c['name']}</td><td class={'ok' if c['passed'] else 'bad'}>"
                   f"{'pass' if c['passed'] else 'FAIL'}</td><td>{esc(str(c['detail']))}</td></tr>"
                   for c in card["checks"])
    metrics = "".join(f"<tr><td>{esc(k)}</td><td>{esc(str(v))}</td></tr>" for k, v in card["metrics"].items())
    figures = "".join(f"<h3>{esc(t)}</h3><img alt='{esc(t)}' src='{src}'>" for t, src in _figures(record))
    verdict = "GREEN" if card["passed"] else "RED"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>On-call shift: {esc(sc.title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
img{{max-width:100%}} table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}} .ok{{color:#007a55}} .bad{{color:#c0392b;font-weight:bold}}
pre{{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}}</style></head><body>
<h1>On-call shift: {esc(sc.title)}</h1>
<p>Scenario {esc(sc.name)}, seed {record.seed}, break {esc(record.break_mode)}. Shift {sc.shift.start:%Y-%m-%d %H:%M}
to {sc.shift.end:%H:%M} UTC. The gate is <b class={'ok' if card['passed'] else 'bad'}>{verdict}</b>:
{sum(c['passed'] for c in card['checks'])} of {len(card['checks'])} checks pass. Incident response (M31), the support desk
(M32) and release operations (M33) acted on {esc(str(incident))}.</p>
<img alt="scorecard" src="{_png(scorecard_chart(card))}">
<h2>The scorecard</h2><table><tr><th>check</th><th>verdict</th><th>why</th></tr>{rows}</table>
<h2>Figures</h2>{figures}
<h2>The story (incident response, release operations, evals and the service; alerts folded)</h2>
<pre>{esc(chr(10).join(story_lines(key)))}</pre>
<h2>Metrics</h2><table>{metrics}</table>
<h2>Postmortem</h2>{_markdown(record.artifacts.get('postmortem.md', 'No postmortem was written.'))}
<h2>Handoff</h2>{_markdown(record.artifacts.get('handoff.md', ''))}
</body></html>
"""
