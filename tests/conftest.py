import pytest

from oncall.scenario import load_scenario


@pytest.fixture(scope="session")
def scenario():
    return load_scenario("bad-deploy")


@pytest.fixture(scope="session")
def shift(scenario):
    from oncall.shift import run_shift

    return run_shift(scenario)
