"""What the chasing tests share: a real SMTP server's handler, free ports, the demo's day."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs

#: The demo is loaded, and chased, at this moment.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BY = "Business unit"
#: Who each demo agency's reminder lists on NOW (a test checks it once, from the plan).
EXPECTED = {"DEMO-CC": {"DEMO-SCP/A005"}, "DEMO-CCG": {"DEMO-SCP/A004"},
            "DEMO-POL": {"DEMO-SCP/A002", "DEMO-SCP/A006"}}


@attrs.define
class Received:
    recipients: list[str]
    message: EmailMessage
    encrypted: bool
    user: str | None


@attrs.define
class Inbox:
    """An aiosmtpd handler that keeps what it is given; it can drop the connection instead."""

    received: list[Received] = attrs.Factory(list)
    #: Drop the connection when given a message after this many.
    drop_after: int | None = None
    #: Addresses the server refuses, as a server with no such mailbox does (550).
    refuse: set[str] = attrs.Factory(set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_after is not None and len(self.received) >= self.drop_after:
            server.transport.close()
            return "421 closing"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.login_data
        self.received.append(Received(list(envelope.rcpt_tos), message,
                                      session.ssl is not None,
                                      login.decode() if isinstance(login, bytes) else login))
        return "250 OK"


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent
            address: str = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@attrs.frozen
class Server:
    host: str
    port: int
    inbox: Inbox

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def workbook_of(message: EmailMessage, folder: Path) -> Path:
    """The message's one attachment, saved."""
    (attachment,) = list(message.iter_attachments())
    name = attachment.get_filename()
    assert name is not None
    assert name.endswith(".xlsx")
    path = folder / name
    path.write_bytes(attachment.get_content())
    return path
