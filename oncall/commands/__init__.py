"""The command engines behind ``oncall``'s subcommands (the edge of the package, beside ``oncall.cli``): each
returns what the command prints, so a notebook can run a command in its kernel and print the same."""
from .canary_judge import canary_judge_command
from .eval import eval_command, format_result, resolve_release
from .triage import run_triage

__all__ = ["canary_judge_command", "eval_command", "format_result", "resolve_release", "run_triage"]
