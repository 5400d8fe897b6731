"""A real SMTP server on this machine (aiosmtpd), a test CA, and the demo plan to chase from."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from actiontrack.demo import load_demo
from actiontrack.store import TinyDBStore
from chasing.mail import NOW, Inbox, Server, free_port


class _Authenticator:
    """Accepts the one user and password given."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        # handled=False: aiosmtpd answers a refusal itself (535) rather than staying silent.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., Server]]:
    """Start real SMTP servers: ``smtp_server(host=, tls=, login=(user, password))``."""
    running: list[Controller] = []

    def start(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None,
              login: tuple[str, str] | None = None, drop_after: int | None = None) -> Server:
        inbox = Inbox(drop_after=drop_after)
        options: dict[str, Any] = {}
        if tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if login is not None:
            options.update(authenticator=_Authenticator(*login), auth_required=True)
        port = free_port(host)
        controller = Controller(inbox, hostname=host, port=port, **options)
        controller.start()
        running.append(controller)
        return Server(host, port, inbox)

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 under a test CA, and that CA's file."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    cafile = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return context, cafile


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[TinyDBStore]:
    store = TinyDBStore(tmp_path / "plan.json", create=True)
    load_demo(store, now=NOW)
    yield store
    store.close()
