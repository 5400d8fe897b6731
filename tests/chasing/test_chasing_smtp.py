"""Chasing through a real SMTP server on this machine (aiosmtpd): what arrives, and failures."""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from actiontrack import excel
from actiontrack.chasing import ChaseSettings, Outcome, SmtpServer, chase_owners
from actiontrack.chasing.run import ChaseResult
from actiontrack.cli import cli
from actiontrack.domain.models import Chase
from actiontrack.domain.rag import RagPolicy
from actiontrack.store import Store, TinyDBStore
from chasing.mail import (
    BY,
    EXPECTED,
    NOW,
    Server,
    free_port,
    other_address,
    plain_text,
    workbook_of,
)

SENDER = "Demoshire Business Unit <business.unit@example.org>"
SETTINGS = ChaseSettings(sender=SENDER)


def _chase(store: Store, server: Server, *, again: bool = False,
           settings: ChaseSettings = SETTINGS) -> ChaseResult:
    return chase_owners(store, SmtpServer(server.host, server.port, cafile=settings.cafile),
                        settings=settings, rag=RagPolicy(), today=NOW.date(), by=BY, at=NOW,
                        again=again)


def _kept(store: Store) -> list[Chase]:
    return store.find(Chase)


def test_each_agency_lead_gets_only_its_own_actions_and_workbook(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server], tmp_path: Path,
) -> None:
    server = smtp_server()
    result = _chase(demo_store, server)
    assert result.exit_code == 0
    assert result.failure is None
    agencies = demo_store.snapshot().agencies
    received = {r.recipients[0]: r for r in server.inbox.received}
    assert set(received) == {agencies[key].email for key in EXPECTED}
    every_action = set(demo_store.snapshot().actions)
    for agency_id, expected in EXPECTED.items():
        got = received.pop(str(agencies[agency_id].email))
        message = got.message
        assert message["From"] == SENDER
        assert message["Reply-To"] == SENDER
        assert message["X-Unsent"] is None  # sent, not a draft
        text = plain_text(message)
        # Its own actions, each with why and what is asked; no other agency's action.
        assert set(re.findall(r"DEMO-SCP/A\d+", text)) & every_action == expected
        html = message.get_body(("html",))
        assert html is not None
        assert all(action in html.get_content() for action in expected)
        path = workbook_of(message, tmp_path)
        imported = excel.import_workbook(demo_store, path, by=BY, at=NOW, dry_run=True,
                                         agency=agency_id)
        assert imported.changes == ()
        assert imported.problems == ()
        (kept,) = [c for c in _kept(demo_store) if c.agency_id == agency_id]
        assert (kept.sent_to, set(kept.action_ids), kept.sent_by, kept.sent_on) == (
            agencies[agency_id].email, expected, BY, NOW.date())
        assert kept.message_id == message["Message-ID"]


def test_the_same_day_twice_sends_nothing_new_and_again_does(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
) -> None:
    server = smtp_server()
    _chase(demo_store, server)
    second = _chase(demo_store, server)
    assert {o.outcome for o in second.outcomes} == {Outcome.CHASED_TODAY}
    assert len(server.inbox.received) == 3
    assert len(_kept(demo_store)) == 3
    third = _chase(demo_store, server, again=True)
    assert {o.outcome for o in third.outcomes} == {Outcome.SENT}
    assert len(server.inbox.received) == 6
    assert len(_kept(demo_store)) == 6


def test_starttls_is_used_when_offered_with_the_certificate_checked(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
    tls: tuple[ssl.SSLContext, Path],
) -> None:
    context, cafile = tls
    server = smtp_server(tls=context)
    # The test CA is not among the system's: the certificate is refused, nothing sent or kept.
    refused = _chase(demo_store, server)
    assert refused.failure is not None
    assert "no secure connection" in refused.failure
    assert {o.outcome for o in refused.outcomes} == {Outcome.NOT_SENT}
    assert server.inbox.received == []
    assert _kept(demo_store) == []
    trusted = _chase(demo_store, server, settings=ChaseSettings(sender=SENDER,
                                                                cafile=str(cafile)))
    assert trusted.exit_code == 0
    assert [r.encrypted for r in server.inbox.received] == [True, True, True]


def test_a_server_off_loopback_must_offer_starttls(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
) -> None:
    address = other_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    server = smtp_server(host=address)  # no TLS offered
    result = _chase(demo_store, server)
    assert result.failure is not None
    assert "does not offer STARTTLS" in result.failure
    assert result.exit_code == 1
    assert server.inbox.received == []
    assert _kept(demo_store) == []


def test_a_connection_dropped_part_way_keeps_what_went_and_only_that(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
) -> None:
    server = smtp_server(drop_after=1)
    result = _chase(demo_store, server)
    assert result.exit_code == 1
    assert result.failure is not None
    assert "the connection was closed" in result.failure
    outcomes = {o.agency_id: o.outcome for o in result.outcomes}
    assert outcomes == {"DEMO-CC": Outcome.SENT, "DEMO-CCG": Outcome.NOT_SENT,
                        "DEMO-POL": Outcome.NOT_SENT}
    assert len(server.inbox.received) == 1
    assert [c.agency_id for c in _kept(demo_store)] == ["DEMO-CC"]
    # The next run reaches the others, and leaves the one already chased today alone.
    server.inbox.drop_after = None
    again = _chase(demo_store, server)
    assert {o.agency_id: o.outcome for o in again.outcomes} == {
        "DEMO-CC": Outcome.CHASED_TODAY, "DEMO-CCG": Outcome.SENT, "DEMO-POL": Outcome.SENT}


def test_an_address_the_server_refuses_is_that_agencys_problem_alone(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
) -> None:
    """A 550 for one lead's address: the others are still chased; only theirs are kept."""
    server = smtp_server()
    refused = next(a.email for a in demo_store.snapshot().agencies.values()
                   if a.id == "DEMO-CCG")
    assert refused is not None
    server.inbox.refuse.add(refused)
    result = _chase(demo_store, server)
    assert result.exit_code == 1
    assert result.failure is None
    outcomes = {o.agency_id: o for o in result.outcomes}
    assert {agency: o.outcome for agency, o in outcomes.items()} == {
        "DEMO-CC": Outcome.SENT, "DEMO-CCG": Outcome.REFUSED, "DEMO-POL": Outcome.SENT}
    assert outcomes["DEMO-CCG"].detail == (
        f"the mail server {server.where} refused the address {refused}: 550 5.1.1 No such user"
        " here; check the agency's email address")
    assert sorted(r.recipients[0] for r in server.inbox.received) == sorted(
        o.to for o in result.outcomes if o.outcome == Outcome.SENT)
    assert sorted(c.agency_id for c in _kept(demo_store)) == ["DEMO-CC", "DEMO-POL"]


def test_a_server_that_is_not_there_is_a_clear_failure(demo_store: TinyDBStore) -> None:

    port = free_port("127.0.0.1")  # nothing listens on it now
    result = chase_owners(demo_store, SmtpServer("127.0.0.1", port, timeout=5),
                          settings=SETTINGS, rag=RagPolicy(), today=NOW.date(), by=BY, at=NOW)
    assert result.failure is not None
    assert result.failure.startswith(f"cannot reach the mail server 127.0.0.1:{port}")
    assert _kept(demo_store) == []


def test_the_command_logs_in_with_the_password_from_the_environment_and_never_shows_it(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
    tls: tuple[ssl.SSLContext, Path], tmp_path: Path,
) -> None:
    context, cafile = tls
    server = smtp_server(tls=context, login=("bu", "s3cret-Pa55"))
    config = tmp_path / "actiontrack.toml"
    config.write_text(f'[chase]\nsender = "{SENDER}"\ncafile = "{cafile.as_posix()}"\n')
    path = str(demo_store.path)
    demo_store.close()

    def run(password: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli, ["--store", path, "chase", "--smtp", server.where, "--smtp-user", "bu",
                  "--config", str(config), "--again"],
            env={"ACTIONTRACK_NOW": NOW.isoformat(), "ACTIONTRACK_USER": BY,
                 "ACTIONTRACK_SMTP_PASSWORD": password})
        return result.exit_code, result.output

    code, output = run("wrong-Pa55")
    assert code == 1
    assert "refused the login of bu" in output
    assert "wrong-Pa55" not in output
    assert server.inbox.received == []
    code, output = run("s3cret-Pa55")
    assert code == 0, output
    assert "Sent 3 reminders through" in output
    assert "s3cret" not in output
    assert [r.user for r in server.inbox.received] == ["bu"] * 3


def test_a_name_with_a_comma_is_one_recipient_and_the_password_is_never_quoted(
    demo_store: TinyDBStore, smtp_server: Callable[..., Server],
    tls: tuple[ssl.SSLContext, Path],
) -> None:
    from actiontrack import service

    service.rename_agency(demo_store, "DEMO-POL", "Police, Demoshire (public protection)",
                          reason="Renamed", by=BY, at=NOW)
    server = smtp_server()
    assert _chase(demo_store, server).exit_code == 0
    (police,) = [r for r in server.inbox.received if "police" in r.recipients[0]]
    assert police.recipients == ["public.protection@police.example.org"]
    assert police.message["To"].addresses[0].display_name == (
        "Police, Demoshire (public protection)")
    context, cafile = tls
    secure = smtp_server(tls=context, login=("bu", "pw"))
    result = chase_owners(demo_store, SmtpServer(secure.host, secure.port, user="bu",
                                                 password="p\u00a3ss-Wörd", cafile=str(cafile)),
                          settings=SETTINGS, rag=RagPolicy(), today=NOW.date(), by=BY, at=NOW,
                          again=True)
    assert result.failure is not None
    assert "only ASCII" in result.failure
    assert "Wö" not in result.failure
    assert "\u00a3" not in result.failure
