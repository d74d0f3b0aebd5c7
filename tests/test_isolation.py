"""Isolation: the package opens no network connection, reads YAML only through safe loading."""
import re
import socket
from pathlib import Path

import pytest

from oncall.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the course must not open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.slow
def test_the_whole_shift_and_every_command_run_without_a_socket(no_network, tmp_path, capsys):
    assert main(["drill", "--seed", "3", "--out", str(tmp_path / "run")]) == 0
    case = next((tmp_path / "run" / "regressions").glob("*.yaml"))
    assert main(["eval", "--cases", str(case), "--release", "bad"]) == 1
    assert main(["slo", "explain", "--objective", "0.999", "--error-ratio", "0.05"]) == 0
    assert main(["correlate", str(ROOT / "data" / "alerts" / "storm.jsonl")]) == 0
    assert main(["triage", str(ROOT / "data" / "tickets" / "bad-deploy.jsonl"), "--scenario", "bad-deploy"]) == 0


def test_yaml_is_only_safe_loaded():
    """Every YAML read goes through oncall/yamlsafe.py: PyYAML's SafeLoader, strict about duplicate keys."""
    import yaml

    from oncall.yamlsafe import StrictSafeLoader

    unsafe = re.compile(r"yaml\.(load|unsafe_load|full_load|load_all|safe_load)\(")
    offenders = [str(p) for p in (ROOT / "oncall").rglob("*.py")
                 if p.name != "yamlsafe.py" and unsafe.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    text = (ROOT / "oncall" / "yamlsafe.py").read_text(encoding="utf-8")
    assert unsafe.findall(text) == ["load"] and "Loader=StrictSafeLoader" in text
    assert issubclass(StrictSafeLoader, yaml.constructor.SafeConstructor)
    assert not issubclass(StrictSafeLoader, (yaml.constructor.FullConstructor, yaml.constructor.UnsafeConstructor))
    with pytest.raises(yaml.YAMLError):
        __import__("oncall.yamlsafe").yamlsafe.safe_load("!!python/object/apply:os.system ['true']")
