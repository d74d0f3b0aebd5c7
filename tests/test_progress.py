"""Progress feedback: a bar where a learner waits, never where outputs are stored or compared."""
import pytest

from oncall import progress as p


@pytest.mark.parametrize("env,expected", [({"ONCALL_PROGRESS": "1"}, True), ({"ONCALL_PROGRESS": "0"}, False),
                                          ({"ONCALL_PROGRESS": "1", "CI": "true"}, False)])
def test_switches(monkeypatch, env, expected):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ONCALL_PROGRESS", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert p.enabled() is expected


def test_off_returns_the_iterable_itself_and_on_yields_the_same_items(monkeypatch):
    monkeypatch.setenv("ONCALL_PROGRESS", "0")
    items = [3, 1, 2]
    assert p.progress(items, "x") is items
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("ONCALL_PROGRESS", "1")
    bar = p.progress(items, "x")
    assert bar is not items and list(bar) == items


def test_off_by_default_inside_a_kernel_without_the_flag(monkeypatch):
    import sys

    monkeypatch.delenv("ONCALL_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", sys)
    assert p.enabled() is False
