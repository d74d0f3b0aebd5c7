"""The console's panels (notebooks/console.ipynb): a shift's status line, its incidents, the tickets linked to
them and the canary, each from the shift record alone, so the console redraws them for any break mode."""
from __future__ import annotations

import html

import pandas as pd

from ..incident_response.budget import spent_words


def status_html(record, card) -> str:
    """One line of HTML: the service's state over the last 30 minutes, the page, the mitigation, the budget spent
    against the scenario's limit and the gate's verdict."""
    m, verdict = record.metrics, "GREEN" if card["passed"] else "RED"
    last = record.service.iloc[-30:]
    now = 100 * last.errors.sum() / max(1, last.requests.sum())
    state = "healthy" if now < 100 * record.slos["availability"].budget_ratio else "DEGRADED"
    facts = [f"<b>{record.catalog.service}</b> {state} ({now:.2f} % errors over the last 30 min)",
             f"page {m.get('page_severity') or 'none'} after {m.get('time_to_detect_min')} min",
             _mitigation(record),
             f"{spent_words(m['budget_consumed_pct'])} (limit {record.scenario.budget_limit_pct:g} %)",
             f"gate <b>{verdict}</b> ({sum(c['passed'] for c in card['checks'])}/{len(card['checks'])})"]
    return " &nbsp;|&nbsp; ".join(facts)


def _mitigation(record) -> str:
    """When the bleeding stopped, and by whom: the on-call's runbook, or only the shipped fix's roll-forward."""
    minutes = record.metrics.get("time_to_mitigate_min")
    if not minutes:
        return "never mitigated"
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if incident is not None and any(a.get("action") == "roll-forward" for a in incident.actions):
        return f"the on-call never mitigated; the fix's roll-forward did after {minutes} min"
    return f"mitigated after {minutes} min"


def incidents_table(record) -> pd.DataFrame:
    """One row per incident: title, severity, state, when it opened, how many alerts and tickets it holds."""
    rows = [{"incident": i.id, "title": i.title, "severity": i.severity or "", "state": i.state,
             "opened": f"{i.opened_at:%H:%M}", "alerts": len(i.alerts), "tickets": len(i.tickets)}
            for i in record.incidents.values()]
    return pd.DataFrame(rows).set_index("incident")


def tickets_table(record) -> pd.DataFrame:
    """One row per ticket linked to an incident: when, to which incident, and why (from the trace)."""
    trace = record.trace.to_frame()
    linked = trace[trace.kind == "ticket.linked"]
    return pd.DataFrame({"time": linked.t.dt.strftime("%H:%M"), "ticket": [r["ticket"] for r in linked.refs],
                         "incident": [r["incident"] for r in linked.refs],
                         "why": linked.message.str.split(": ", n=1).str[1].str.slice(0, 90)}).set_index("ticket")


def canary_table(record) -> pd.DataFrame | str:
    """The canary's trace events, or one sentence saying why the shift had no canary."""
    trace = record.trace.to_frame()
    canary = trace[trace.kind.str.startswith("canary.")]
    if canary.empty:
        return record.phases_skipped.get("ship", "no canary in this shift").capitalize() + "."
    return canary.assign(time=canary.t.dt.strftime("%H:%M"))[["time", "kind", "message"]].set_index("time")


# --- The night replayed: every panel as of a chosen minute, precomputed once per shift ----------------------------

_TABLE_CSS = ("<style>.oncall-table{border-collapse:collapse;font-size:12px}"
              ".oncall-table th,.oncall-table td{border-bottom:1px solid #ddd;padding:2px 6px;text-align:left;"
              "vertical-align:top;white-space:normal;overflow-wrap:break-word}</style>")


def _table(columns: list[str], rows: list[list], empty: str) -> str:
    """A small HTML table whose cells wrap (never cut) their text."""
    if not rows:
        return f"<p><i>{html.escape(empty)}</i></p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    # A single word (an id, a time) never wraps, not even at its hyphen ("INC-0005"); prose wraps between words.
    cell = lambda v: (f"<td>{html.escape(str(v))}</td>" if " " in str(v) else
                      f'<td style="white-space:nowrap">{html.escape(str(v))}</td>')
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f'{_TABLE_CSS}<table class="oncall-table"><tr>{head}</tr>{body}</table>'


class NightReplay:
    """The panels of one shift as of every minute of it (``clock[i]`` is minute ``i``), built once from the record
    (its trace, its per-minute counts and its budget curve) so that scrubbing or playing the night only swaps
    precomputed HTML. The last minute shows the night as it ended, the gate's verdict included."""

    def __init__(self, record, card, without=None):
        from ..plots.mitigate import budget_curve, sli_bad_pct

        self.record, self.card = record, card
        sc = record.scenario
        self.times = list(pd.date_range(sc.shift.start, sc.shift.end, freq="1min"))
        self.clock = [f"{t:%H:%M}" for t in self.times]
        trace = record.trace.to_frame().sort_values("seq")
        events = list(zip(trace.t, trace.kind, trace.message, trace.refs))
        spent = budget_curve(record)
        sli = sli_bad_pct(record.service, record.slos, 30)
        self.status, self.sli, self.incidents, self.tickets, self.canary = [], [], [], [], []
        state: dict = {"opened": {}, "state": {}, "alerts": {}, "tickets": {}, "severity": {}, "linked": [],
                       "canary": [], "page": None, "mitigated": False, "gate": False}
        k = 0
        for t in self.times:
            while k < len(events) and events[k][0] <= t:
                self._apply(state, *events[k])
                k += 1
            end = t >= self.times[-1]
            budget = float(spent[spent.index <= t].iloc[-1]) if (spent.index <= t).any() else 0.0
            sli_now = sli[sli.index <= t].iloc[-1] if (sli.index <= t).any() else None
            self.status.append(self._status(t, state, budget, sli_now, end))
            self.sli.append(self._sli(t, sli_now))
            self.incidents.append(self._incidents(state))
            self.tickets.append(_table(["time", "ticket", "incident", "why"], state["linked"],
                                       "no ticket linked to an incident yet"))
            self.canary.append(self._canary(state))

    @staticmethod
    def _apply(state, t, kind, message, refs) -> None:
        inc = refs.get("incident")
        if kind == "incident.opened":
            state["opened"][inc], state["state"][inc] = t, "open"
        elif kind.startswith("incident.") and inc in state["opened"] and kind.split(".")[1] in (
                "acknowledged", "mitigated", "resolved"):
            state["state"][inc] = kind.split(".")[1]
            state["mitigated"] |= kind == "incident.mitigated"
        elif kind == "alert.fired" and inc:
            state["alerts"][inc] = state["alerts"].get(inc, 0) + 1
        elif kind == "page.sent":
            state["severity"][inc] = refs.get("severity", "")
            state["page"] = state["page"] or (t, refs.get("severity", ""))
        elif kind == "ticket.linked":
            state["tickets"][inc] = state["tickets"].get(inc, 0) + 1
            state["linked"].append([f"{t:%H:%M}", refs.get("ticket"), inc, message.split(": ", 1)[-1]])
        elif kind.startswith("canary."):
            state["canary"].append([f"{t:%H:%M}", kind, message])
        elif kind == "gate.check":
            state["gate"] = True

    def _status(self, t, state, budget, sli_now, end) -> str:
        record = self.record
        if end and state["gate"]:
            return f"<b>{t:%H:%M}</b> (end of shift) &nbsp;|&nbsp; " + status_html(record, self.card)
        avail = record.slos["availability"]
        now = float(sli_now["availability"]) if sli_now is not None else 0.0
        health = "healthy" if now < 100 * avail.budget_ratio else "DEGRADED"
        page = state["page"]
        facts = [f"<b>{t:%H:%M}</b>",
                 f"<b>{record.catalog.service}</b> {health} ({now:.2f} % errors over the last 30 min)",
                 f"paged {page[1]} at {page[0]:%H:%M}" if page else "no page yet",
                 (_mitigation(record) if state["mitigated"] else "not mitigated yet" if page else "nothing to mitigate"),
                 f"{spent_words(budget)} so far (limit {record.scenario.budget_limit_pct:g} %)",
                 "gate: runs at the end of the shift"]
        return " &nbsp;|&nbsp; ".join(facts)

    def _sli(self, t, sli_now) -> str:
        rows = []
        for name, slo in self.record.slos.items():
            if sli_now is None or pd.isna(sli_now[name]):
                rows.append([name, slo.display_name, f"{100 * slo.objective:g} %", "no data yet", ""])
                continue
            good = 100 - float(sli_now[name])
            rows.append([name, slo.display_name, f"{100 * slo.objective:g} %", f"{good:.2f} %",
                         "within" if good >= 100 * slo.objective else "BREACHING"])
        return (f"<p>Good events over the 30 minutes up to {t:%H:%M}</p>"
                + _table(["SLO", "what counts as good", "objective", "good", "vs objective"], rows, ""))

    def _incidents(self, state) -> str:
        rows = []
        for inc, opened in state["opened"].items():
            incident = self.record.incidents.get(inc)
            rows.append([inc, incident.title if incident else "", state["severity"].get(inc, ""),
                         state["state"][inc], f"{opened:%H:%M}", state["alerts"].get(inc, 0),
                         state["tickets"].get(inc, 0)])
        return _table(["incident", "title", "severity", "state", "opened", "alerts", "tickets"], rows,
                      "no incident open yet")

    def _canary(self, state) -> str:
        if state["canary"]:
            return _table(["time", "event", "what happened"], state["canary"], "")
        skipped = self.record.phases_skipped.get("ship")
        return f"<p><i>{html.escape(skipped.capitalize() + '.' if skipped else 'No canary yet.')}</i></p>"

    def at(self, i: int) -> dict:
        """Every panel's HTML as of minute ``i`` of the shift."""
        return {"clock": self.clock[i], "status": self.status[i], "sli": self.sli[i],
                "incidents": self.incidents[i], "tickets": self.tickets[i], "canary": self.canary[i]}


def burn_chart(fig) -> tuple[str, callable]:
    """A figure as an HTML image with a "now" line over its time axis, and a function from a time to the CSS that
    moves that line (and greys out what is still to come) without sending the image again."""
    import base64
    import io

    import matplotlib.dates as mdates

    ax = fig.axes[-1]
    box, (x0, x1) = ax.get_position(), ax.get_xlim()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")   # no tight bbox: the axes keep the position measured above
    png = base64.b64encode(buf.getvalue()).decode()
    top, height = 100 * (1 - box.y1), 100 * box.height
    chart = (f'<div style="position:relative;display:inline-block;max-width:100%">'
             f'<img alt="error budget burn" style="display:block;max-width:100%" src="data:image/png;base64,{png}">'
             f'<div class="oncall-future" style="position:absolute;top:{top:.2f}%;height:{height:.2f}%;'
             f'background:rgba(255,255,255,0.7)"></div>'
             f'<div class="oncall-now" style="position:absolute;top:{top:.2f}%;height:{height:.2f}%;width:2px;'
             f'background:#d62728"></div></div>')

    def cursor(t) -> str:
        frac = (mdates.date2num(t) - x0) / (x1 - x0)
        left = 100 * (box.x0 + min(max(frac, 0.0), 1.0) * box.width)
        right = 100 * (box.x0 + box.width)
        show = "block" if 0 <= frac <= 1 else "none"
        return (f"<style>.oncall-now{{left:{left:.2f}%;display:{show}}}"
                f".oncall-future{{left:{left:.2f}%;width:{max(0.0, right - left):.2f}%}}</style>")

    return chart, cursor
