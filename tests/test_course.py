"""The code the notebooks show, moved into the package: each piece does what its chapter shows, and
``from oncall.course import *`` brings what the chapters use."""
from pathlib import Path

import pytest

import oncall.course as course
from oncall.cli import run_here
from oncall.incident_response.runbooks import load_runbook
from oncall.plots import plt
from oncall.plots.triage import ticket_links
from oncall.widgets.console import canary_table, incidents_table, status_html, tickets_table
from oncall.widgets.triage import TicketTriager


@pytest.fixture(scope="module")
def triaged(scenario):
    """02_triage's first cell: the shift served, detected and triaged by hand."""
    record = course.serve(scenario, seed=7, break_mode="none")
    record.choices = scenario.on_call("none")
    course.detect(record)
    return record, course.triage(record)


def test_every_name_the_course_exports_exists():
    assert sorted(course.__all__) == sorted(set(course.__all__))
    for name in course.__all__:
        assert getattr(course, name) is not None, name


def test_a_step_says_what_it_reads_or_does(scenario):
    steps = {s.kind: s for s in load_runbook(scenario.runbook).steps}
    assert steps["diagnose"].does() == steps["diagnose"].check
    assert steps["act"].does() == steps["act"].action
    verify = steps["verify"]
    assert verify.does() == (f"{verify.slo} inside its objective for {verify.within_objective_for_min:g} min "
                             f"(timeout {verify.timeout_min:g})")


def test_the_command_line_runs_in_the_kernel_in_the_folder_given(tmp_path):
    code, text = run_here("scenarios", cwd=tmp_path)
    assert code == 0 and "bad-deploy" in text
    code, text = run_here("slo", "explain", "--objective", "2", "--error-ratio", "0.05", cwd=tmp_path)
    assert code == 2 and text.startswith("oncall: ") and "objective" in text and "\n" not in text
    assert Path.cwd() != tmp_path


def test_the_link_graph_draws_one_dot_per_ticket_on_its_incidents_row(triaged, scenario):
    record, decisions = triaged
    fig = ticket_links(record, decisions, scenario.releases.bad.deployed_at)
    ax = fig.axes[0]
    dots = sum(len(c.get_offsets()) for c in ax.collections)
    assert dots == len(decisions) > 0
    paged = record.incidents[record.paged_incident]
    assert ax.get_title().startswith(f"{len(paged.tickets)} tickets link to {paged.id}")
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[-1] == "not linked" and paged.id in rows
    plt.close(fig)


def test_the_ticket_box_triages_what_is_typed(triaged):
    record, _ = triaged
    box = TicketTriager(record)
    assert box.last is not None
    box.value = "Refund failed twice, the bot says the tool errored. Order 4411, please refund me"
    assert box.last.linked_incident == record.paged_incident
    box.value = "How do I change the email address on my account?"
    assert box.last.linked_incident is None and box.text.value == box.value


def test_the_consoles_panels_read_the_record(shift):
    card = course.scorecard(shift)
    line = status_html(shift, card)
    assert f"limit {shift.scenario.budget_limit_pct:g} %" in line and "gate <b>GREEN</b>" in line
    incidents = incidents_table(shift)
    assert list(incidents.index) == list(shift.incidents)
    tickets = tickets_table(shift)
    assert set(tickets.index) == {t for i in shift.incidents.values() for t in i.tickets}
    canary = canary_table(shift)
    assert isinstance(canary, str) or canary["kind"].str.startswith("canary.").all()
