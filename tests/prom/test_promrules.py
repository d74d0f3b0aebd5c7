"""issue 20, 1-2: the generated rules pass promtool, and promtool agrees with the course's burn engine."""
import pytest

from oncall.incident_response import burn, promrules
from oncall.scenario import list_scenarios, load_scenario
from oncall.shift import run_shift

from .conftest import need, run

pytestmark = pytest.mark.prom

CASES = [(name, mode, seed) for name, _title in list_scenarios()
         for mode in ["none", *load_scenario(name).break_modes] for seed in (1, 2, 3)]


def test_slo_rules_pass_promtool_check(tmp_path):
    from oncall.cli import main

    assert main(["slo", "rules", "--out", str(tmp_path)]) == 0
    result = run(need("promtool"), "check", "rules", str(tmp_path / "slo_rules.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 64 rules found" in result.stdout   # 4 SLOs x (7 windows + 2 guards + 3 meta + 2 alerts)


def test_the_course_alertmanager_config_passes_amtool(tmp_path):
    from oncall.paths import DATA_DIR

    result = run(need("amtool"), "check-config", str(DATA_DIR / "alerting" / "alertmanager.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 inhibit rules" in result.stdout


def test_a_broken_expectation_fails_promtool(tmp_path):
    """The generated test can fail: one assertion moved by a minute makes promtool report it."""
    record = run_shift(load_scenario("bad-deploy"), 1, "none")
    tiers = [t for t in burn.load_tiers() if t.severity == "page"]
    (tmp_path / "r.yaml").write_text(promrules.rules_yaml(list(record.slos.values()), tiers))
    text = promrules.promtool_test(record, "r.yaml", tiers)
    first = next(line for line in text.splitlines() if line.strip().startswith("- eval_time:")
                 and "exp_labels" in text.split(line, 1)[1].split("- eval_time:", 1)[0])
    minute = int(first.split(":")[1].strip().rstrip("m"))
    (tmp_path / "t.yaml").write_text(text.replace(first, first.replace(f"{minute}m", f"{minute - 1}m"), 1))
    result = run(need("promtool"), "test", "rules", "t.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "FAILED" in result.stdout + result.stderr


@pytest.mark.parametrize("name,mode,seed", CASES, ids=[f"{n}-{m}-{s}" for n, m, s in CASES])
def test_promtool_agrees_with_the_engine_on_every_page_edge(tmp_path, name, mode, seed):
    """Every scenario and break mode, seeds 1-3: the page tiers start and stop firing in Prometheus at the very
    minutes the course's engine says (scrapes and evaluations on the minute: rate() extrapolates nothing)."""
    promtool = need("promtool")
    record = run_shift(load_scenario(name), seed, mode)
    tiers = [t for t in burn.load_tiers() if t.severity == "page"]
    (tmp_path / "r.yaml").write_text(promrules.rules_yaml(list(record.slos.values()), tiers))
    (tmp_path / "t.yaml").write_text(promrules.promtool_test(record, "r.yaml", tiers))
    check = run(promtool, "check", "rules", "r.yaml", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    result = run(promtool, "test", "rules", "t.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_drill_out_writes_metrics_and_a_promtool_test_that_passes(tmp_path):
    """The drill's own artifacts, every tier (3 days of history for the 3-day window): promtool passes them."""
    from oncall.cli import main

    out = tmp_path / "run"
    assert main(["drill", "--seed", "1", "--out", str(out)]) in (0, 1)
    for name in ("metrics.om", "slo_rules.yaml", "promtool_test.yaml"):
        assert (out / name).is_file()
    assert (out / "metrics.om").read_text().endswith("# EOF\n")
    result = run(need("promtool"), "test", "rules", "promtool_test.yaml", cwd=out, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_promtool_with_scrapes_offset_30s_does_what_prom_fires_says(tmp_path):
    """A Prometheus whose scrapes land 30 s after the minute (promtool, samples at :30, evaluations on the
    minute): its alerts are exactly those ``promrules.prom_fires`` computes with Prometheus's extrapolation. On
    bad-deploy seed 3 that differs from the engine: page-1h starts one minute later and stops one earlier."""
    promtool = need("promtool")
    record = run_shift(load_scenario("bad-deploy"), 3, "none")
    tiers = [t for t in burn.load_tiers() if t.severity == "page"]
    _frame, skip, engine = promrules.engine_fires(record, tiers)
    _frame, _skip, prom = promrules.prom_fires(record, tiers, 30)
    assert promrules.firing_edges(engine["availability"]["page-1h"][skip:]) == [(216, 232)]
    assert promrules.firing_edges(prom["availability"]["page-1h"][skip:]) == [(217, 231)]
    (tmp_path / "r.yaml").write_text(promrules.rules_yaml(list(record.slos.values()), tiers))
    (tmp_path / "t.yaml").write_text(promrules.promtool_test(record, "r.yaml", tiers, offset_s=30))
    result = run(promtool, "test", "rules", "t.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize("name", [n for n, _t in list_scenarios()])
def test_offset_scrapes_move_each_page_edge_by_at_most_one_evaluation_interval(name):
    """The bound on rate()'s extrapolation: with scrapes 30 s off the minute, each page tier's firing runs start
    and stop within one minute (one evaluation interval) of the engine's, seeds 1-3. A window then reads the
    minute's counts half a minute late, so a crossing of the threshold lands one evaluation later or earlier."""
    tiers = [t for t in burn.load_tiers() if t.severity == "page"]
    for seed in (1, 2, 3):
        record = run_shift(load_scenario(name), seed, "none")
        _frame, skip, engine = promrules.engine_fires(record, tiers)
        _frame, _skip, prom = promrules.prom_fires(record, tiers, 30)
        for slo, by_tier in engine.items():
            for tier, fires in by_tier.items():
                want = promrules.firing_edges(fires[skip:])
                got = promrules.firing_edges(prom[slo][tier][skip:])
                assert len(got) == len(want), (seed, slo, tier, want, got)
                for (a, b), (c, d) in zip(want, got):
                    assert abs(a - c) <= 1 and abs(b - d) <= 1, (seed, slo, tier, want, got)


def test_promtool_check_runs_both_commands_on_the_shift_files(tmp_path, monkeypatch):
    """01_detect's cell: promrules.promtool_check writes the shift's three files and runs check, then test, in
    their folder (a stand-in promtool records what it was asked); without promtool, one line saying how to
    install it."""
    import shutil
    import yaml

    record = run_shift(load_scenario("bad-deploy"), 1, "none")
    log = tmp_path / "calls"
    fake = tmp_path / "promtool"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\nls >> {log}\necho "SUCCESS"\n')
    fake.chmod(0o755)
    text = promrules.promtool_check(record, str(fake))
    assert text.count("(exit 0)") == 2 and text.count("SUCCESS") == 2
    calls = log.read_text().splitlines()
    assert calls[0] == "check rules slo_rules.yaml" and calls[4] == "test rules promtool_test.yaml"
    assert calls[1:4] == ["metrics.om", "promtool_test.yaml", "slo_rules.yaml"]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert promrules.promtool_check(record) == promrules.INSTALL_HINT
    assert "\n" not in promrules.INSTALL_HINT and "apt-get install prometheus" in promrules.INSTALL_HINT
    # the page tier's rule, as 01_detect shows it: one alert ORing both page tiers
    rule = yaml.safe_load(promrules.alert_yaml(record.slos["availability"], "page"))[0]
    assert rule["labels"] == {"severity": "page", "slo": "availability"}
    assert '"page-1h"' in rule["expr"] and '"page-6h"' in rule["expr"] and "ticket" not in rule["expr"]


def test_promtool_check_of_the_page_tiers_writes_their_rules_over_six_hours_of_history(tmp_path):
    """01_detect's check: ``severity="page"`` writes the page tiers' rules and alerts only, and the counters from
    the 6 h their longest window needs (the drill's files, by default, hold every tier and three days)."""
    record = run_shift(load_scenario("bad-deploy"), 1, "none")
    keep = tmp_path / "kept"
    fake = tmp_path / "promtool"
    fake.write_text(f'#!/bin/sh\nmkdir -p {keep}\ncp *.yaml *.om {keep}/\necho "SUCCESS"\n')
    fake.chmod(0o755)
    assert promrules.promtool_check(record, str(fake), severity="page").count("(exit 0)") == 2
    rules, test = (keep / "slo_rules.yaml").read_text(), (keep / "promtool_test.yaml").read_text()
    assert '"page-1h"' in rules and '"page-6h"' in rules and "ticket" not in rules and "ratio_rate3d" not in rules
    assert "the shift starts at minute 360)" in test and "ticket" not in test
    first = int((keep / "metrics.om").read_text().splitlines()[1].split()[-1])
    assert first == int(record.service.index[0].timestamp()) - 6 * 3600
    promrules.promtool_check(record, str(fake))   # the default: every tier, three days before the night
    assert "ticket" in (keep / "slo_rules.yaml").read_text()
    assert "the shift starts at minute 4320)" in (keep / "promtool_test.yaml").read_text()
    with pytest.raises(ValueError, match="severity"):
        promrules.promtool_check(record, str(fake), severity="pager")
