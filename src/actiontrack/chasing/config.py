"""The ``[chase]`` table of the configuration: what to chase for, and how messages go.

::

    [chase]
    sender = "Safeguarding Partnership Business Unit <business.unit@example.org>"
    reply_to = "business.unit@example.org"   # default: the sender
    smtp = "smtp.example.org:587"            # default: write .eml files to an outbox
    smtp_user = "business.unit"              # the password: $ACTIONTRACK_SMTP_PASSWORD
    cafile = "partnership-ca.pem"            # a CA the mail server's certificate is under
    due_within_days = 28                     # chase actions due this soon
    no_update_days = 60                      # and those with no update for longer
    reasons = ["due_soon", "overdue", "no_recent_update", "no_completion_evidence",
               "hold_review_passed"]
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import getaddresses
from typing import Any

import attrs

from actiontrack.domain.chasing import ChasePolicy
from actiontrack.errors import ConfigError

__all__ = ["ChaseSettings", "mail_address", "parse_server"]


def mail_address(text: str, *, what: str) -> str:
    """``text`` checked as one address, with or without a display name; else ConfigError."""
    found = getaddresses([text])
    if len(found) != 1 or "@" not in found[0][1] or " " in found[0][1]:
        raise ConfigError(f"expected one email address such as 'Business Unit"
                          f" <bu@example.org>', not {text!r}", setting=what)
    name, address = found[0]
    return str(Address(display_name=name, addr_spec=address))


def parse_server(text: str, *, what: str = "smtp") -> tuple[str, int]:
    """``"smtp.example.org:587"`` as its host and port; else ConfigError."""
    host, colon, port = text.strip().rpartition(":")
    host = host.strip("[]")  # an IPv6 address in brackets: [::1]:25
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"expected HOST:PORT such as smtp.example.org:587, not {text!r}",
                          setting=what)
    return host, int(port)


def _address(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        mail_address(value, what=attribute.name)


def _server(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        parse_server(value, what=attribute.name)


@attrs.frozen(kw_only=True)
class ChaseSettings(ChasePolicy):
    """What to chase for (the policy) and who the messages are from, and through what."""

    #: The business unit's address: the messages' From. Needed to send through SMTP;
    #: an outbox message without one takes the address of whoever sends it.
    sender: str | None = attrs.field(default=None, validator=_address)
    #: Where answers go (default: the sender).
    reply_to: str | None = attrs.field(default=None, validator=_address)
    #: The mail server as HOST:PORT; without it, chase writes to an outbox folder.
    smtp: str | None = attrs.field(default=None, validator=_server)
    #: Who to log in to the mail server as (the password: $ACTIONTRACK_SMTP_PASSWORD).
    smtp_user: str | None = None
    #: A file of CA certificates to check the mail server's certificate against.
    cafile: str | None = None
