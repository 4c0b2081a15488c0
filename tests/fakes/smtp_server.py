"""A local SMTP server for the e-mail tests (aiosmtpd), keeping every message it receives."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Inbox:
    """The aiosmtpd handler: stores each message, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: ARG002, N802 - aiosmtpd's hook
        """Keep the message; answer 250."""
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.received:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.received.notify_all()
        return "250 Message accepted for delivery"


class FakeSmtpServer:
    """An SMTP server on 127.0.0.1 (no TLS, no login) that keeps what it is sent."""

    def __init__(self) -> None:
        self._inbox = _Inbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, in order."""
        with self._inbox.received:
            return list(self._inbox.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        """(MAIL FROM, RCPT TO) of each message received."""
        with self._inbox.received:
            return list(self._inbox.envelopes)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until ``count`` messages arrived (or ``timeout`` passed); return them all."""
        with self._inbox.received:
            self._inbox.received.wait_for(lambda: len(self._inbox.messages) >= count, timeout)
            return list(self._inbox.messages)

    def start(self) -> FakeSmtpServer:
        """Start serving in a background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()


@contextmanager
def running_fake_smtp() -> Iterator[FakeSmtpServer]:
    """A started ``FakeSmtpServer``, stopped afterwards."""
    server = FakeSmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
