"""Bad widget values (issue: bad input everywhere): a widget given a bad argument shows ONE visible line naming the
field and what was expected (the command line's words), never a traceback; a slider would otherwise clamp the value
silently and show a number nobody asked for. And the widgets work on every scenario, not only bad-deploy."""
import pytest

from oncall.widgets import ScenarioPicker
from oncall.widgets.detect import BadReleaseInjector
from oncall.widgets.gate import BreakRelease
from oncall.widgets.mitigate import MitigationPicker
from oncall.widgets.ship import BreakTheFix

BAD = [
    (ScenarioPicker, {"scenario": "no-such-scenario"}, "no scenario named 'no-such-scenario'"),
    (ScenarioPicker, {"seed": -1}, "seed"),
    (ScenarioPicker, {"seed": 2.5}, "a whole number"),
    (BadReleaseInjector, {"error_ratio": 2.0}, "error_ratio: expected a number from 0 to 0.5, got 2.0"),
    (BadReleaseInjector, {"error_ratio": float("nan")}, "error_ratio"),
    (BadReleaseInjector, {"quality_drop": -0.1}, "quality_drop"),
    (BadReleaseInjector, {"extra_latency_ms": "slow"}, "extra_latency_ms"),
    (BadReleaseInjector, {"deploy_at": "yesterday"}, "deploy_at: expected a UTC time"),
    (BadReleaseInjector, {"deploy_at": "2026-11-28T01:30:00Z"}, "deploy_at: expected a time from"),
    (BadReleaseInjector, {"scenario": "nowhere/scenario.yaml"}, "no such file"),
    (MitigationPicker, {"max_delay_min": -5}, "max_delay_min"),
    (MitigationPicker, {"seed": True}, "seed"),
    (BreakTheFix, {"seed": 0}, "seed: expected a whole number from 1 to 40"),
    (BreakRelease, {"seed": "seven"}, "seed"),
]


@pytest.mark.parametrize("cls,kwargs,words", BAD, ids=[f"{c.__name__}-{'-'.join(k)}" for c, k, _ in BAD])
def test_bad_widget_value_is_one_visible_line(cls, kwargs, words):
    widget = cls(**kwargs)
    assert widget.error is not None and widget.error.startswith("oncall: ") and words in widget.error, widget.error
    assert "\n" not in widget.error and "Traceback" not in widget.error
    assert widget.error.split("oncall: ", 1)[1] in widget.ui.value.replace("&#x27;", "'")


@pytest.mark.parametrize("name", ["stale-index", "provider-outage", "latency-regression"])
def test_widgets_work_on_scenarios_without_the_bad_deploy(name):
    picker = ScenarioPicker(scenario=name, seed=1)
    assert picker.error is None and picker.record.scenario.name == name
    injector = BadReleaseInjector(scenario=name, seed=1, error_ratio=0.1)
    assert injector.error is None and injector.page is not None
    mitigation = MitigationPicker(scenario=name, seed=1)
    assert mitigation.error is None and mitigation.record is not None
    gate = BreakRelease(scenario=name, seed=1)
    assert gate.error is None and gate.card["passed"]


def test_the_checked_range_is_the_sliders_range():
    """A constructor argument is accepted exactly where its slider can go: one range states both."""
    from oncall.widgets.detect import RANGES

    injector = BadReleaseInjector(seed=3, **{field: hi for field, (_, hi) in RANGES.items()})
    assert injector.error is None
    for field, slider in (("error_ratio", injector.error_ratio), ("extra_latency_ms", injector.extra_latency),
                          ("quality_drop", injector.quality_drop)):
        assert (slider.min, slider.max) == RANGES[field] and slider.value == RANGES[field][1]
    for cls in (ScenarioPicker, BreakTheFix):
        lo, hi = cls.SEEDS
        top = cls(seed=hi)
        assert top.error is None and (top.seed.min, top.seed.max, top.seed.value) == (lo, hi, hi)
        assert "seed" in cls(seed=hi + 1).error
