"""Where reminders go: ``.eml`` files in an outbox folder, or a real SMTP server.

An SMTP connection is encrypted whenever the server offers STARTTLS (port
465: TLS from the start), with the server's certificate checked; a server
that is not on this machine (loopback) and offers no encryption is refused
before anything is sent. The password never appears in a message.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import socket
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from actiontrack.errors import DeliveryError, RecipientRefused

__all__ = ["DeliveryError", "Outbox", "Postbox", "RecipientRefused", "SmtpServer", "is_loopback"]


class Postbox(Protocol):
    """Somewhere messages are handed to, one at a time, inside a ``with`` block."""

    #: Where it is, for messages ("outbox/", "smtp.example.org:587").
    where: str
    #: Whether what it holds still has to be sent by someone (an outbox's drafts).
    drafts: bool

    def __enter__(self) -> Postbox: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None: ...

    def send(self, message: EmailMessage, to: str, name: str) -> None:
        """Hand one message for ``to`` over; ``name`` is a file name stem for an outbox."""
        ...


class Outbox:
    """A folder of ``.eml`` files, each written whole or not at all, never overwritten."""

    drafts = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = f"{folder}{os.sep}"

    def __enter__(self) -> Outbox:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(f"cannot make the outbox {self.where}: {exc.strerror}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        return None

    def send(self, message: EmailMessage, to: str, name: str) -> None:
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        temporary: str | None = None
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            for number in range(1, 1000):
                target = self.folder / (f"{name}.eml" if number == 1 else f"{name}-{number}.eml")
                if _place(temporary, target):
                    return
            raise DeliveryError(f"the outbox {self.where} already holds 999 messages named"
                                f" {name}; move them away")
        except OSError as exc:
            raise DeliveryError(f"cannot write to the outbox {self.where}: {exc.strerror}") \
                from None
        finally:
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)


def _place(temporary: str, target: Path) -> bool:
    """Give the written file the name ``target`` unless it is taken; never overwrite."""
    try:
        os.link(temporary, target)  # fails if the name is taken
        return True
    except FileExistsError:
        return False
    except OSError:
        pass  # no hard links here (FAT, some network shares): claim the name, then fill it
    try:
        with open(target, "xb") as claimed, open(temporary, "rb") as source:
            claimed.write(source.read())
            claimed.flush()
            os.fsync(claimed.fileno())
    except FileExistsError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is on this machine (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(info[4][0]).partition("%")[0]).is_loopback for info in found)


class SmtpServer:
    """A mail server reached over SMTP, logged in to when a user is given."""

    drafts = False

    def __init__(self, host: str, port: int, *, user: str | None = None,
                 password: str | None = None, cafile: str | None = None,
                 timeout: float = 30.0) -> None:
        self.host, self.port = host, port
        self.where = f"{host}:{port}"
        self._user, self._password = user, password
        self._cafile, self._timeout = cafile, timeout
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self._cafile)
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"cannot read the CA file {self._cafile}: {exc}") from None

    def __enter__(self) -> SmtpServer:
        try:
            if self.port == 465:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout,
                                                      context=self._context())
                smtp.ehlo()
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                elif not is_loopback(self.host):
                    smtp.quit()
                    raise DeliveryError(
                        f"the mail server {self.where} does not offer STARTTLS: actiontrack"
                        " sends over an unencrypted connection only to this machine; use the"
                        " server's encrypted port or an outbox")
            if self._user:
                if self._password is None:
                    smtp.quit()
                    raise DeliveryError(f"to log in to {self.where} as {self._user}, set the"
                                        " password in $ACTIONTRACK_SMTP_PASSWORD")
                try:
                    smtp.login(self._user, self._password)
                except UnicodeError:  # its message would quote part of the password
                    smtp.close()
                    raise DeliveryError(f"the password for {self._user} has characters SMTP"
                                        " cannot send (only ASCII)") from None
                except smtplib.SMTPException:
                    smtp.close()
                    raise
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError(f"the mail server {self.where} refused the login of"
                                f" {self._user}") from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"no secure connection to {self.where}: {exc.reason or exc}"
                                ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"cannot reach the mail server {self.where}: {_said(exc)}"
                                ) from None
        self._smtp = smtp
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage, to: str, name: str) -> None:
        assert self._smtp is not None, "send inside a with block"
        try:
            refused = self._smtp.send_message(message, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:  # the connection stays good for others
            said = "; ".join(_said_of(code, text) for code, text in exc.recipients.values())
            raise RecipientRefused(f"the mail server {self.where} refused the address {to}:"
                                   f" {said}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"the mail server {self.where} did not take the message to"
                                f" {message['To']}: {_said(exc)}") from None
        if refused:
            raise RecipientRefused(f"the mail server {self.where} refused the address"
                                   f" {', '.join(sorted(refused))}")


def _said_of(code: int, text: bytes | str) -> str:
    """An SMTP reply in one line: ``550 No such user``."""
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _said(error: BaseException) -> str:
    """What an SMTP or socket error says, in one line."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(
            error.smtp_error, bytes) else str(error.smtp_error)
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the connection was closed"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
