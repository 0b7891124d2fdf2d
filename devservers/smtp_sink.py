"""A real SMTP server on 127.0.0.1 (ephemeral port) that keeps what it receives.

Tests point Django's SMTP backend (or a worker process) at it and parse the
messages exactly as a mail client would. Addresses can be made to refuse
permanently (550) or for now (451), and each DATA can take a little time, which
is what a real relay does and what keeps messages in flight in the crash test.
"""

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class _Handler:
    refuse_permanently: set[str] = field(default_factory=set)
    refuse_for_now: set[str] = field(default_factory=set)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse_permanently:
            return "550 5.1.1 No such user here"
        if address.lower() in self.refuse_for_now:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)
                )
            )
        return "250 Message accepted for delivery"


class _EphemeralController(Controller):
    def _trigger_server(self):
        # Bound to port 0: learn the real port before the readiness probe.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    def __init__(self, *, delay: float = 0.0):
        self.handler = _Handler(delay=delay)
        self._controller = _EphemeralController(
            self.handler, hostname="127.0.0.1", port=0, data_size_limit=10 * 1024 * 1024
        )

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, address: str, *, permanently: bool = True) -> None:
        target = (
            self.handler.refuse_permanently
            if permanently
            else self.handler.refuse_for_now
        )
        target.add(address.lower())

    def accept(self, address: str) -> None:
        self.handler.refuse_permanently.discard(address.lower())
        self.handler.refuse_for_now.discard(address.lower())

    def by_recipient(self) -> dict[str, list[Received]]:
        result: dict[str, list[Received]] = {}
        for item in self.received:
            for rcpt in item.rcpt_tos:
                result.setdefault(rcpt.lower(), []).append(item)
        return result
