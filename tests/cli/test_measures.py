"""Impact measures from the command line: add-measure, record-measurement, show, and the gate
into embedded that a measure at its target opens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_corrections import demo, digest, run, shown

__all__ = ["demo"]  # the fixture, shared with test_corrections

ADD = ("add-measure", "DEMO-SCP/A002", "--name", "Strategy discussions with health and police",
       "--unit", "%", "--baseline", "60", "--baseline-on", "2026-01-10", "--target", "95",
       "--target-on", "2027-03-31", "--want", "higher", "--source", "Quarterly audit")


def test_a_measure_is_added_measured_and_shown(demo: Path) -> None:
    added = run(demo, *ADD)
    assert added.exit_code == 0, added.output
    assert added.output == "added measure DEMO-SCP/A002/M1 (version 1)\n"
    measured = run(demo, "record-measurement", "DEMO-SCP/A002/M1", "77.5", "--on", "2026-11-01",
                   "--note", "40 discussions sampled")
    assert measured.exit_code == 0, measured.output
    assert measured.output.splitlines() == [
        "recorded measurement DEMO-SCP/A002/M1/V1 (version 1)",
        "Strategy discussions with health and police: 77.5% on 1 November 2026 (baseline 60% on"
        " 10 January 2026, target 95% by 31 March 2027, higher is better): 50% of the way, not"
        " met yet"]
    figure = shown(demo, "DEMO-SCP/A002/M1/V1")
    assert figure["record"] | {"version": 1} == {
        "id": "DEMO-SCP/A002/M1/V1", "action_id": "DEMO-SCP/A002",
        "measure_id": "DEMO-SCP/A002/M1", "on": "2026-11-01", "value": 77.5,
        "by": "Business manager", "note": "40 discussions sampled", "version": 1}
    assert [e["change"] for e in figure["history"]] == ["create"]
    text = " ".join(run(demo, "show", "DEMO-SCP/A002").output.split())
    assert ("measure DEMO-SCP/A002/M1, Strategy discussions with health and police: 77.5% on"
            " 1 November 2026") in text


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--target", "40"), 1, "higher is better, so the target must be above the baseline (60)"),
    (("--baseline-on", "2026-12-01"), 1, "a baseline cannot be taken on a day that has not"),
    (("--want", "sideways"), 2, "'sideways' is not one of"),
    (("--baseline", "sixty"), 2, "'sixty' is not a valid float"),
])
def test_a_bad_measure_is_refused_and_changes_nothing(
        demo: Path, args: tuple[str, ...], code: int, message: str) -> None:
    unchanged = digest(demo)
    options = dict(zip(ADD[2::2], ADD[3::2], strict=True)) | dict(zip(args[::2], args[1::2],
                                                                      strict=True))
    result = run(demo, "add-measure", "DEMO-SCP/A002",
                 *(part for pair in options.items() for part in pair))
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert digest(demo) == unchanged


@pytest.mark.parametrize(("args", "code", "message"), [
    (("DEMO-SCP/A008/M1", "12", "--on", "2026-12-25"), 1, "measurement.future-date"),
    (("DEMO-SCP/A008/M1", "12", "--on", "2025-01-01"), 1, "measurement.before-baseline"),
    (("DEMO-SCP/A008/M1", "twelve"), 2, "'twelve' is not a valid float"),
    (("DEMO-SCP/A008/M9", "12"), 2, "no measure with id 'DEMO-SCP/A008/M9'"),
])
def test_a_bad_figure_is_refused_and_changes_nothing(
        demo: Path, args: tuple[str, ...], code: int, message: str) -> None:
    unchanged = digest(demo)
    result = run(demo, "record-measurement", *args)
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert digest(demo) == unchanged


def test_a_measure_at_its_target_lets_an_assured_action_be_embedded(demo: Path) -> None:
    """A007 is assured with no impact evidence: embedded once its measure meets the target."""
    refused = run(demo, "set-status", "DEMO-SCP/A007", "embedded")
    assert refused.exit_code == 1
    assert "gate.embedded-needs-impact-evidence" in refused.output
    assert run(demo, "add-measure", "DEMO-SCP/A007", "--name", "GP information at discussions",
               "--unit", "%", "--baseline", "35", "--baseline-on", "2026-01-05", "--target",
               "90", "--target-on", "2026-10-31", "--want", "higher").exit_code == 0
    assert run(demo, "record-measurement", "DEMO-SCP/A007/M1", "85").exit_code == 0
    assert run(demo, "set-status", "DEMO-SCP/A007", "embedded").exit_code == 1
    assert run(demo, "record-measurement", "DEMO-SCP/A007/M1", "91").exit_code == 0
    embedded = run(demo, "set-status", "DEMO-SCP/A007", "embedded")
    assert embedded.exit_code == 0, embedded.output
    assert shown(demo, "DEMO-SCP/A007")["record"]["status"] == "embedded"
    # The figure it stands on cannot be withdrawn now: reopen first.
    kept = run(demo, "withdraw", "DEMO-SCP/A007/M1/V2", "--reason", "typo")
    assert kept.exit_code == 1
    assert "gate.embedded-needs-impact-evidence" in kept.output


def test_show_json_gives_what_the_figures_say(demo: Path) -> None:
    """62% to 85%, latest 86% after 87%: met, but worse than the figure before."""
    data = json.loads(run(demo, "show", "DEMO-SCP/A001/M1", "--format", "json").output)
    assert data["kind"] == "measures"
    assert (data["record"]["baseline"], data["record"]["target"]) == (62.0, 85.0)
    reading = data["reading"]
    assert reading["latest"] == {"on": "2026-11-06", "value": 86.0}
    assert reading["progress"] == pytest.approx(24 / 23)
    assert (reading["met"], reading["worsened"]) == (True, True)
    action = json.loads(run(demo, "show", "DEMO-SCP/A001", "--format", "json").output)
    assert action["measures"] == [reading]
