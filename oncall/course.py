"""The course's one import: each notebook starts with ``from oncall.course import *``.

It brings what the chapters use: pandas and numpy as ``pd`` and ``np``, matplotlib's ``plt``, the scenario and the
shift, the phases a chapter runs by hand, the plots and widgets, and the command line run in the kernel
(``oncall("drill", "--seed", "7", cwd=folder)``). Everything here lives elsewhere in the package; the comment on each
line names the chapter that teaches it.
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

# Tables show every cell's whole text, wrapped by the notebook, never cut mid-word (pandas' default cuts at 50
# characters: "tokens_per_re...").
pd.set_option("display.max_colwidth", None)

from . import plots
from .cli import run_here as oncall                                   # 04_learn: the command line in the kernel
from .detect import detect                                            # 02_triage: the detect phase by hand
from .incident_response.runbooks import load_runbook                  # 03_mitigate: the runbook and its steps
from .paths import DATA_DIR
from .plots import detect as detect_plots                              # 01_detect
from .plots import extend as extend_plots                              # 07_extend
from .plots import gate as gate_plots                                  # 06_gate
from .plots import learn as learn_plots                                # 04_learn
from .plots import mitigate as mitigate_plots                          # 03_mitigate, the console's burn panel
from .plots import plt
from .plots.mitigate import key_events                                # 01_detect: the shift's key events
from .plots import ship as ship_plots                                  # 05_ship
from .plots.gate import scorecard_chart                                # 06_gate, the console's gate panel
from .plots.triage import ticket_links                                # 02_triage: the link graph
from .progress import progress
from .scenario import OnCallChoices, list_scenarios, load_scenario
from .shift import run_shift, scorecard, serve
from .story import story_lines
from .sweeps import run_shift_with_ship                               # 05_ship: the shift with its canary
from .trace import MODULES, PHASES                                    # 00_tour
from .triage import triage                                            # 02_triage: the triage phase by hand
from .widgets import W, ScenarioPicker                                # 00_tour; W: ipywidgets, for the console
from .widgets.console import canary_table, incidents_table, status_html, tickets_table  # console
from .widgets.detect import BadReleaseInjector                        # 01_detect
from .widgets.gate import BreakRelease                                # 06_gate
from .widgets.mitigate import MitigationPicker                        # 03_mitigate
from .widgets.ship import BreakTheFix                                 # 05_ship
from .widgets.triage import TicketTriager                             # 02_triage: the ticket box

__all__ = ["MODULES", "PHASES", "key_events", "run_shift_with_ship", "timedelta", "BadReleaseInjector", "BreakRelease", "BreakTheFix", "canary_table", "DATA_DIR", "detect",
           "detect_plots", "display", "extend_plots", "gate_plots", "HTML", "incidents_table", "learn_plots",
           "list_scenarios", "load_runbook", "load_scenario", "Markdown", "mitigate_plots", "MitigationPicker", "np",
           "oncall", "OnCallChoices", "pd", "plots", "plt", "progress", "run_shift", "ScenarioPicker", "scorecard",
           "scorecard_chart", "serve", "ship_plots", "status_html", "story_lines", "ticket_links", "tickets_table",
           "TicketTriager", "triage", "W"]
