"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it is sent, for worker tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.ports import free_port


class Inbox:
    """What the sink accepted, in order; aiosmtpd's handler interface (handle_DATA)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self._lock:
            return [str(message["Subject"]) for message in self.messages]

    def wait_for(self, count: int, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.subjects()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.subjects()


@contextmanager
def smtp_sink() -> Iterator[tuple[Inbox, int]]:
    """An inbox and the port its SMTP server listens on."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
