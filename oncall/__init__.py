"""On-call Shift: one on-call shift for a simulated AI service, end to end.

Course modules: M27 the agent being operated (``oncall.service``), M31 incident response
(``oncall.incident_response``), M32 support desk and AIOps (``oncall.support_desk``), M33 data and release
operations (``oncall.release_ops``), M26 evals and the eval gate (``oncall.evals``). ``oncall.shift`` tells
the shift as a story.
"""

__version__ = "0.1.0"
