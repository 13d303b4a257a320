"""A tiny SMTP server on loopback for tests (stdlib socketserver; no extra dependency).

It speaks just enough ESMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), records
every accepted message, and can refuse a recipient temporarily (451) a given number of times.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    message: Message


@dataclass
class FakeSMTP:
    messages: list[Received] = field(default_factory=list)
    fail_times: dict[str, int] = field(default_factory=dict)   # recipient -> remaining 451 refusals
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> FakeSMTP:
        fake = self

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), _handler(fake))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._server.server_address[1]}?from=hub@layers.example"

    def recipients(self) -> list[str]:
        with self._lock:
            return [r for m in self.messages for r in m.recipients]

    def _refuse(self, address: str) -> bool:
        with self._lock:
            left = self.fail_times.get(address, 0)
            if left:
                self.fail_times[address] = left - 1
            return left > 0

    def _record(self, mail_from: str, recipients: list[str], data: bytes) -> None:
        with self._lock:
            self.messages.append(Received(mail_from, recipients, message_from_bytes(data)))


def _address(arg: str) -> str:
    return arg.split(":", 1)[1].strip().split(" ")[0].strip("<>")


def _handler(fake: FakeSMTP) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, text: str) -> None:
            self.wfile.write(text.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 fake.smtp ESMTP ready")
            mail_from, recipients = "", []
            while line := self.rfile.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = command[:4].upper()
                if verb == "EHLO":
                    self.reply("250-fake.smtp\r\n250 8BITMIME")
                elif verb == "HELO" or verb == "NOOP":
                    self.reply("250 OK")
                elif verb == "MAIL":
                    mail_from, recipients = _address(command), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    address = _address(command)
                    if fake._refuse(address):
                        self.reply("451 4.3.0 Temporary failure, try again later")
                    else:
                        recipients.append(address)
                        self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    fake._record(mail_from, recipients, b"".join(lines))
                    self.reply("250 OK queued")
                elif verb == "RSET":
                    mail_from, recipients = "", []
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 Bye")
                    return
                else:
                    self.reply("502 Command not implemented")

    return Handler
