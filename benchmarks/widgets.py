"""The widgets' speed (``widget_update_ms``, ``gameday_move_ms``): every widget the notebooks build, moved through
its own controls the way a person moves them (a control's value set, or a button clicked: the widget's observer or
handler runs, as in a kernel), each move timed until the widget has redrawn.

``SCRIPTS`` holds one scripted session per widget: the notebook it lives in, how the notebook builds it, and the
moves (mostly the notebook's own check cell, then a few more a learner would make, ending where it started).
The console's controls are built by its notebook's own cells (run here, in-process, with the Agg backend).
"""
from __future__ import annotations

import contextlib
import gc
import io
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _set(obj, attr, value):
    return lambda: setattr(obj, attr, value)


def _picker():
    from oncall.widgets import ScenarioPicker

    w = ScenarioPicker("bad-deploy", seed=7)
    return w, [(f"seed={v}", _set(w.seed, "value", v)) for v in (8, 9, 10)] + [
        ("scenario=provider-outage", _set(w.scenario, "value", "provider-outage")),
        ("scenario=bad-deploy", _set(w.scenario, "value", "bad-deploy")), ("seed=7", _set(w.seed, "value", 7))]


# Slider moves a learner makes in 01_detect's widget: (slider, value), from the notebook's default (5 % at 01:30).
INJECTOR_MOVES = (("error_ratio", 0.10), ("error_ratio", 0.144), ("extra_latency", 2000), ("quality_drop", 0.2),
                  ("deploy_at", 21 + 12), ("error_ratio", 0.08), ("extra_latency", 0), ("quality_drop", 0.0),
                  ("deploy_at", 21), ("error_ratio", 0.2))


def _injector():
    from oncall.widgets.detect import BadReleaseInjector

    w = BadReleaseInjector("bad-deploy", seed=7, error_ratio=0.05)
    moves = []
    for name, value in INJECTOR_MOVES:
        slider = getattr(w, name)
        v = slider.options[value][1] if name == "deploy_at" else value
        moves.append((f"{name}={value}", _set(slider, "value", v)))
    return w, moves


def _triager():
    from oncall.scenario import load_scenario
    from oncall.shift import serve
    from oncall.detect import detect
    from oncall.triage import triage
    from oncall.widgets.triage import TicketTriager

    scenario = load_scenario("bad-deploy")   # as 02_triage builds its record: serve, detect, triage
    record = serve(scenario, seed=7, break_mode="none")
    record.choices = scenario.on_call("none")
    detect(record)
    triage(record)
    w = TicketTriager(record)
    texts = ("refund keeps failing in the chat", "how long do refunds take?", "the bot said it cannot refund me",
             "")
    return w, [(f"text={t!r}", _set(w.text, "value", t)) for t in texts]


def _mitigation():
    from oncall.widgets.mitigate import MitigationPicker

    w = MitigationPicker("bad-deploy", seed=7)
    moves = [("action", "restart"), ("delay", 30), ("action", "wait"), ("action", "flag_off"), ("delay", 60),
             ("action", "runbook"), ("delay", 0)]
    return w, [(f"{a}={v}", _set(getattr(w, a), "value", v)) for a, v in moves]


def _ship():
    from oncall.widgets.ship import BreakTheFix

    w = BreakTheFix(seed=7)
    moves = [("mode", "latency"), ("mode", "quality"), ("precheck", False), ("mode", "errors"), ("precheck", True),
             ("mode", "none"), ("seed", 8), ("seed", 7)]
    return w, [(f"{a}={v}", _set(getattr(w, a), "value", v)) for a, v in moves]


def _gate():
    from oncall.widgets.gate import BreakRelease

    w = BreakRelease("bad-deploy", seed=7)
    modes = [m for m in w.mode.options if m != "none"] + ["none"]
    return w, [(f"mode={m}", _set(w.mode, "value", m)) for m in modes]


def console_namespace() -> dict:
    """The console notebook's controls, built by its own code cells (up to the one that shows the console)."""
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "console.ipynb", as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "display(console)" in cell.source:   # the cell that shows it: its first line draws the night
            exec("redraw()", ns)
            break
        exec(compile(cell.source, "console.ipynb", "exec"), ns)
    return ns


def _console():
    ns = console_namespace()
    mode, minute = ns["mode"], ns["minute"]
    end = minute.index
    moves = [(f"time={minute.options[i]}", _set(minute, "index", i)) for i in (0, 120, 240, 360, end)]
    modes = [m for m in mode.options if m != "none"]
    moves += [(f"break={m}", _set(mode, "value", m)) for m in modes[:2]]
    moves += [("break=none", _set(mode, "value", "none"))]
    moves += [(f"time={minute.options[i]}", _set(minute, "index", i)) for i in (90, end)]
    return ns, moves


def gameday_moves(widget, moves: list[dict]) -> list[tuple[str, callable]]:
    """A move file's moves as a person plays them on the panel: set the move's controls, click its button."""
    out = []

    def step(m):
        w = widget
        kind = m["move"]
        if kind == "look":
            w.look.value = m["at"]
            w.look_button.click()
        elif kind == "ack":
            w.ack_button.click()
        elif kind == "severity":
            w.severity.value = m["level"]
            w.severity_button.click()
        elif kind == "status":
            w.state.value = m["state"]
            w.status_text.value = m.get("text", "")
            w.status_button.click()
        elif kind == "act":
            w.action.value = m["action"]
            if m["action"] == "wait":
                w.wait.value = int(m.get("minutes", 10))
            w.act_button.click()
        elif kind == "resolve":
            w.resolve_button.click()
        elif kind == "postmortem":
            w.root_cause.value = m["root_cause"]
            w.prevent.value = m["prevent"]
            w.postmortem_button.click()
        else:
            raise ValueError(f"unknown move {kind!r}")

    for m in moves:
        label = m["move"] + "".join(f" {v}" for k, v in m.items() if k not in ("move", "text", "think"))
        out.append((label, lambda m=m: step(m)))
    return out


GAMEDAY_SEED = 11   # 08_game_day's game: GameDay(seed=SEED), SEED = 11


def _gameday():
    import yaml

    from oncall.widgets.gameday import GameDay

    w = GameDay(seed=GAMEDAY_SEED)   # as 08_game_day builds it (a hidden scenario, baselines in the debrief)
    name = w.game.scenario.name
    path = ROOT / "data" / "gameday" / "moves" / f"{name}.yaml"
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    # The first move (look at the page) is the panel's own opening; then the scripted game, then time travel.
    moves = gameday_moves(w, script[1:])
    moves += [(f"replay move {n}", _set(w.scrub, "value", n)) for n in (1, 5, len(script))]
    return w, moves


# name -> (notebook, build): build() returns (the widget, [(move label, move)]).
SCRIPTS = {
    "ScenarioPicker": ("00_tour", _picker),
    "BadReleaseInjector": ("01_detect", _injector),
    "TicketTriager": ("02_triage", _triager),
    "MitigationPicker": ("03_mitigate", _mitigation),
    "BreakTheFix": ("05_ship", _ship),
    "BreakRelease": ("06_gate", _gate),
    "GameDay": ("08_game_day", _gameday),
    "console (time, break)": ("console", _console),
}


def inline_show(*_args, **_kwargs) -> None:
    """``plt.show()`` as a kernel's inline backend does it: every open figure encoded to PNG (IPython's
    ``print_figure`` with the inline backend's ``bbox_inches="tight"``), then closed. Outside a kernel
    ``plt.show()`` on Agg draws nothing, which would leave the drawing of half the widgets out of their time."""
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    for num in plt.get_fignums():
        fig = plt.figure(num)
        if fig.axes or fig.lines or fig.patches or fig.images:
            print_figure(fig, "png", bbox_inches="tight", base64=True)
    plt.close("all")


@contextlib.contextmanager
def kernel_like():
    """Agg, ``plt.show`` as the inline backend, stdout swallowed (outside a kernel an Output prints to it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    show = plt.show
    plt.show = inline_show
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        plt.show = show


def play(build, quick: bool = False, rounds: int = 1) -> tuple[list[float], list[str], list[tuple[str, float]]]:
    """Build the widget (untimed) and time each of its moves; ``rounds`` builds it again and replays the same
    moves (a fresh widget, so a round never starts from the last one's state). Returns seconds per move, the
    labels, and (label, seconds) of every move."""
    import matplotlib.pyplot as plt

    times, every = [], []
    labels: list[str] = []
    for _ in range(rounds):
        with kernel_like():
            _, moves = build()
            if quick:
                moves = moves[:2]
            labels = [label for label, _ in moves]
            for label, move in moves:
                gc.collect()
                t = time.perf_counter()
                move()
                dt = time.perf_counter() - t
                times.append(dt)
                every.append((label, dt))
        plt.close("all")
    return times, labels, every


def measure_all(quick: bool = False, names=None) -> dict:
    """name -> {notebook, median_ms, max_ms, moves, the slowest move}."""
    out = {}
    for name in names or SCRIPTS:
        notebook, build = SCRIPTS[name]
        times, labels, every = play(build, quick=quick, rounds=1 if quick else 2)
        worst = max(every, key=lambda e: e[1])
        out[name] = {"notebook": notebook, "median_ms": round(1000 * statistics.median(times), 1),
                     "max_ms": round(1000 * max(times), 1), "moves": len(times),
                     "slowest_move": f"{worst[0]} ({1000 * worst[1]:.0f} ms)", "script": labels}
    return out
