"""The scenario knob for bursty, overdispersed failures (traffic.burst_dispersion): off by default, the draws
stay independent; on, per-minute error counts spread far wider than a binomial's."""
import numpy as np
import pytest
from pydantic import ValidationError

from oncall.scenario import load_scenario
from oncall.service import simulate as sim


def _errors(k, seed=3):
    sc = load_scenario("bad-deploy")
    sc = sc.model_copy(update={"traffic": sc.traffic.model_copy(update={"burst_dispersion": k})})
    good = sc.releases.last_good
    plan = sim.ServingPlan(releases={good.version: good}, changes=[(0, {good.version: 1.0})])
    return sim.simulate(sc, plan, seed)


def test_off_by_default_and_on_is_overdispersed():
    assert load_scenario("bad-deploy").traffic.burst_dispersion is None
    calm, bursty = _errors(None), _errors(0.1)
    np.testing.assert_array_equal(calm["requests"], bursty["requests"])
    # index of dispersion of the per-minute slow counts around their binomial expectation
    def dispersion(f):
        p = f["slow"].sum() / f["requests"].sum()
        expected = f["requests"] * p
        return float(((f["slow"] - expected) ** 2 / (expected * (1 - p))).mean())
    assert dispersion(calm) < 1.3 and dispersion(bursty) > 2   # variance mu + mu^2 / k, mu about 0.5 a minute


def test_dispersion_must_be_positive():
    sc = load_scenario("bad-deploy")
    with pytest.raises(ValidationError):
        type(sc.traffic).model_validate({**sc.traffic.model_dump(), "burst_dispersion": 0})
