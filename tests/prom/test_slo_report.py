"""issue 20, 4: `oncall slo report --prometheus` over a real Prometheus back-filled from a shift's metrics.om
equals the course's engine over the same counts."""
import json

import pytest

from oncall.incident_response import burn, promrules
from oncall.incident_response.promreport import report
from oncall.incident_response.slo import load_slo
from oncall.scenario import load_scenario
from oncall.shift import run_shift

from .conftest import Server, free_port, need, run, skip_unless_selected

pytestmark = pytest.mark.prom


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    skip_unless_selected()
    record = run_shift(load_scenario("bad-deploy"), 1, "none")
    tmp = tmp_path_factory.mktemp("prom")
    (tmp / "metrics.om").write_text(promrules.openmetrics(record))
    result = run(need("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(tmp / "metrics.om"),
                 str(tmp / "data"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (tmp / "prometheus.yml").write_text("global: {scrape_interval: 1m}\n")
    port = free_port()
    server = Server([need("prometheus"), f"--config.file={tmp / 'prometheus.yml'}",
                     f"--storage.tsdb.path={tmp / 'data'}", "--storage.tsdb.retention.time=36500d",
                     f"--web.listen-address=127.0.0.1:{port}"],
                    f"http://127.0.0.1:{port}/-/ready", tmp / "prometheus.log")
    try:
        yield record, f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.mark.parametrize("slo", ["availability", "latency", "quality", "freshness"])
def test_slo_report_equals_the_engine(backfilled, slo):
    record, url = backfilled
    frame, _skip = promrules._frame(record, burn.load_tiers())
    start, end = frame.index[0].to_pydatetime(), (frame.index[-1]).to_pydatetime()
    end = end + (frame.index[1] - frame.index[0]).to_pytimedelta()
    got = report(url, slo, start, end)
    s = record.slos.get(slo) or load_slo(slo)
    bad, total = s.bad_and_total(frame)
    ev = burn.evaluate(bad, total, s, burn.load_tiers(), step_min=1.0)
    assert got["minutes"] == len(frame) and got["events"] == int(total.sum()) and got["bad_events"] == int(bad.sum())
    assert got["budget_consumed_pct"] == round(float(ev.frame["budget_consumed_pct"].iat[-1]), 4)
    for tier in got["tiers"]:
        runs = promrules.firing_edges(ev.frame[f"{tier['name']}.fires"].to_numpy())
        assert len(tier["firing"]) == len(runs), tier
    page = next(t for t in got["tiers"] if t["name"] == "page-1h")
    if slo == "availability":   # the shift's page, at the minute the engine paged
        assert page["firing"], got
        assert page["firing"][0]["from"] == (record.page.at.strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_slo_report_cli_prints_the_budget_and_tiers(backfilled, capsys):
    from oncall.cli import main

    record, url = backfilled
    assert main(["slo", "report", "--prometheus", url, "--slo", "availability", "--from", "2026-11-23T22:00:00Z",
                 "--to", "2026-11-27T08:00:00Z", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["slo"] == "availability" and doc["budget_consumed_pct"] > 0


def test_slo_report_names_an_unreachable_prometheus():
    from oncall.cli import main

    assert main(["slo", "report", "--prometheus", f"http://127.0.0.1:{free_port()}", "--slo", "availability",
                 "--from", "2026-11-26T22:00:00Z", "--to", "2026-11-27T08:00:00Z"]) == 2
