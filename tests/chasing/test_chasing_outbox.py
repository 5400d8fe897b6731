"""``actiontrack chase`` on a real JSON store: the outbox, dry runs, problems, and what is kept."""

from __future__ import annotations

import email
import email.policy
import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from actiontrack.cli import cli
from chasing.mail import BY, EXPECTED, NOW, plain_text, workbook_of

NEXT_DAY = "2026-12-02T09:00:00+00:00"


def run(store: Path, *args: str, now: str = NOW.isoformat(), folder: Path | None = None
        ) -> Result:
    import os

    here = os.getcwd()
    if folder is not None:
        os.chdir(folder)
    try:
        return CliRunner().invoke(cli, ["--store", str(store), *args],
                                  env={"ACTIONTRACK_NOW": now, "ACTIONTRACK_USER": BY})
    finally:
        os.chdir(here)


def digest(store: Path) -> bytes:
    return b"\0".join(path.name.encode() + path.read_bytes()
                      for path in sorted(store.parent.glob(store.stem + "*"))
                      if not path.name.endswith(".lock"))


def messages(outbox: Path) -> dict[str, EmailMessage]:
    found = {}
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found[path.name] = message
    return found


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    assert run(path, "demo").exit_code == 0
    return path


def test_the_outbox_holds_one_draft_per_agency_with_its_own_actions(
    store: Path, tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    result = run(store, "chase", "--outbox", str(outbox))
    assert result.exit_code == 0, result.output
    assert "Wrote 3 reminders to" in result.output
    found = messages(outbox)
    assert sorted(found) == [f"2026-12-01 {agency}.eml" for agency in sorted(EXPECTED)]
    every_action = {f"DEMO-SCP/A{n:03d}" for n in range(1, 100)}
    for agency_id, expected in EXPECTED.items():
        message = found[f"2026-12-01 {agency_id}.eml"]
        assert message["X-Unsent"] == "1"
        assert message["From"] is None
        assert message["Subject"].startswith("Safeguarding actions: ")
        assert set(re.findall(r"DEMO-SCP/A\d+", plain_text(message))) & every_action == expected
        workbook = workbook_of(message, tmp_path)
        back = run(store, "import", str(workbook), "--agency", agency_id)
        assert back.exit_code == 0, back.output
        assert "Nothing to import" in back.output
    # Each chase is kept, and show lists it on the action.
    shown = json.loads(run(store, "show", "DEMO-SCP/A002", "--format", "json").output)
    assert [(c["id"], c["sent_to"]) for c in shown["chases"]] == [
        ("DEMO-POL/C1", "public.protection@police.example.org")]
    text = run(store, "show", "DEMO-SCP/A006").output
    assert "chased: 2026-12-01 to public.protection@police.example.org by Business unit" \
        " (DEMO-POL/C1)" in text


def test_the_same_day_twice_writes_nothing_and_again_writes_beside_the_first(
    store: Path, tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    assert run(store, "chase", "--outbox", str(outbox)).exit_code == 0
    before = {path.name: path.read_bytes() for path in outbox.iterdir()}
    second = run(store, "chase", "--outbox", str(outbox))
    assert second.exit_code == 0
    assert "Nothing new to send: every agency was chased today" in second.output
    assert {path.name: path.read_bytes() for path in outbox.iterdir()} == before
    again = run(store, "chase", "--outbox", str(outbox), "--again", "--agency", "DEMO-POL")
    assert again.exit_code == 0
    assert "Wrote 1 reminder to" in again.output
    assert sorted(messages(outbox)) == sorted([*before, "2026-12-01 DEMO-POL-2.eml"])
    assert {path.name: path.read_bytes() for path in outbox.iterdir() if path.name in before} \
        == before  # nothing overwritten


def test_the_default_is_an_outbox_folder_here(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    result = run(store, "chase", folder=folder)
    assert result.exit_code == 0, result.output
    assert len(list((folder / "outbox").glob("*.eml"))) == 3


def test_a_dry_run_lists_who_and_why_and_changes_nothing(store: Path, tmp_path: Path) -> None:
    before = digest(store)
    result = run(store, "chase", "--dry-run", "--outbox", str(tmp_path / "outbox"))
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was sent or kept." in result.output
    assert "public.protection@police.example.org" in result.output
    assert "DEMO-SCP/A006: overdue: its target date was 3 August 2026 (120 days ago)" \
        in result.output
    assert "Asked for: a new target date and the reason it moved" in result.output
    assert digest(store) == before
    assert not (tmp_path / "outbox").exists()


def test_an_agency_without_a_contact_is_a_problem_and_the_others_are_still_chased(
    store: Path, tmp_path: Path,
) -> None:
    assert run(store, "edit", "DEMO-CC", "--set", "email=", "--reason", "Lead left").exit_code \
        == 0
    result = run(store, "chase", "--outbox", str(tmp_path / "outbox"))
    assert result.exit_code == 1
    assert "DEMO-CC not chased (no contact): add its lead's address: actiontrack edit DEMO-CC" \
        " --set email=ADDRESS" in result.output
    assert sorted(messages(tmp_path / "outbox")) == [
        "2026-12-01 DEMO-CCG.eml", "2026-12-01 DEMO-POL.eml"]


def test_personal_data_holds_a_message_back(store: Path, tmp_path: Path) -> None:
    edited = run(store, "edit", "DEMO-SCP/A004", "--set",
                 "title=Call the family on 07700 900123 about the plan", "--reason", "Typo")
    assert edited.exit_code == 0, edited.output
    result = run(store, "chase", "--outbox", str(tmp_path / "outbox"))
    assert result.exit_code == 1
    assert "DEMO-CCG not chased (held): its text would carry a phone number (07" in result.output
    assert "900123" not in result.output
    assert sorted(messages(tmp_path / "outbox")) == [
        "2026-12-01 DEMO-CC.eml", "2026-12-01 DEMO-POL.eml"]
    assert run(store, "show", "DEMO-SCP/A004").output.count("chased:") == 0


def test_owners_who_do_not_answer_are_flagged_by_the_audit(store: Path, tmp_path: Path) -> None:
    outbox = str(tmp_path / "outbox")
    assert run(store, "chase", "--outbox", outbox).exit_code == 0
    assert "chased-without-response" not in run(store, "audit", now=NEXT_DAY).output
    assert run(store, "chase", "--outbox", outbox, now=NEXT_DAY).exit_code == 0
    audit = run(store, "audit", "--format", "json", now=NEXT_DAY)
    flagged = {f["subject"] for f in json.loads(audit.output)["findings"]
               if f["rule"] == "chased-without-response"}
    assert flagged == {action for actions in EXPECTED.values() for action in actions}
    # An update answers the chases of its action.
    assert run(store, "add-update", "DEMO-SCP/A004", "Pathway agreed",
               now=NEXT_DAY).exit_code == 0
    audit = run(store, "audit", "--format", "json", now=NEXT_DAY)
    assert "DEMO-SCP/A004" not in {f["subject"] for f in json.loads(audit.output)["findings"]
                                   if f["rule"] == "chased-without-response"}


def test_a_chase_cannot_be_edited_or_withdrawn(store: Path, tmp_path: Path) -> None:
    assert run(store, "chase", "--outbox", str(tmp_path / "outbox")).exit_code == 0
    before = digest(store)
    edit = run(store, "edit", "DEMO-POL/C1", "--set", "sent_to=x@example.org", "--reason", "No")
    assert edit.exit_code == 1
    assert "a chase records a reminder as it was sent" in edit.output
    withdraw = run(store, "withdraw", "DEMO-POL/C1", "--reason", "No")
    assert withdraw.exit_code == 1
    assert "withdraw.chase" in withdraw.output
    assert digest(store) == before


@pytest.mark.parametrize(("args", "message"), [
    (["--outbox", "o", "--smtp", "localhost:25"], "give --outbox DIR or --smtp HOST:PORT"),
    (["--smtp", "localhost:25"], "needs the business unit's address: set sender"),
    (["--agency", "NOPE", "--dry-run"], "no agency with id 'NOPE'"),
])
def test_bad_usage_is_a_clear_error_that_changes_nothing(
    store: Path, args: list[str], message: str,
) -> None:
    before = digest(store)
    result = run(store, "chase", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert digest(store) == before


def test_an_agency_s_scope_cannot_chase(store: Path) -> None:
    """Chasing is the business unit's: a store opened as one agency is refused up front."""
    before = digest(store)
    result = run(store, "--agency", "DEMO-POL", "chase", "--dry-run")
    assert result.exit_code == 2, result.output
    assert "chasing is the business unit's work" in result.output
    assert digest(store) == before


@pytest.mark.parametrize(("table", "problems"), [
    # Values of the wrong type or unknown are all reported at once, each with its path.
    ('reasons = ["overdue", "late"]\nno_update_days = "sixty"\nsender = 3\n',
     ["$.chase.reasons[1]", "$.chase.no_update_days", "$.chase.sender"]),
    ('sender = "not an address"\n', ["$.chase.sender: expected one email address"]),
    ('smtp = "mail.example.org"\n', ["$.chase.smtp: expected HOST:PORT"]),
    ("no_update_days = -1\n", ["$.chase.no_update_days: must be a whole number from 0"]),
    ("reasons = []\n", ["$.chase.reasons: name at least one reason to chase"]),
    ("senders = 'x'\n", ["$.chase: unknown field(s): senders"]),
])
def test_the_configuration_s_chase_table_is_checked(
    tmp_path: Path, store: Path, table: str, problems: list[str],
) -> None:
    config = tmp_path / "actiontrack.toml"
    config.write_text("[chase]\n" + table)
    result = run(store, "chase", "--dry-run", "--config", str(config))
    assert result.exit_code == 2
    for problem in problems:
        assert problem in result.output, result.output


def test_an_agency_id_with_odd_characters_gets_a_safe_file_name(
    store: Path, tmp_path: Path,
) -> None:
    added = run(store, "add-agency", "NHS/ICB:North", "--name", "North ICB", "--email",
                "lead@icb.example.org")
    assert added.exit_code == 0, added.output
    moved = run(store, "edit", "DEMO-SCP/A004", "--set", "lead_agency_id=NHS/ICB:North",
                "--reason", "Commissioning moved")
    assert moved.exit_code == 0, moved.output
    result = run(store, "chase", "--outbox", str(tmp_path / "outbox"))
    assert result.exit_code == 0, result.output
    assert "2026-12-01 NHS-ICB-North.eml" in messages(tmp_path / "outbox")
    assert not list((tmp_path / "outbox").glob(".*.tmp"))  # nothing left behind
