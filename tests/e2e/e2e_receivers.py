"""What stands at the far end of the system's messages: an SMTP server and an LA's webhook endpoint.

Both record what arrived by its id (the email's Message-ID, the `webhook-id` header), so a test can
tell a message delivered twice (at-least-once delivery after a crash) from two messages.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from attendance_common.broker import free_port


class Mailbox:
    """An aiosmtpd handler: every message received, by Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.recipients: dict[str, list[str]] = {}
        self.subjects: dict[str, str] = {}
        self.port: int | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        message = BytesParser(policy=default).parsebytes(envelope.content)
        with self.lock:
            self.received[str(message["Message-ID"])] += 1
            self.recipients[str(message["Message-ID"])] = list(envelope.rcpt_tos)
            self.subjects[str(message["Message-ID"])] = str(message["Subject"])
        return "250 OK"

    def distinct(self, about: str) -> int:
        """Distinct messages to addresses containing `about` (tests put the school's URN in them)."""
        with self.lock:
            return sum(any(about in r for r in self.recipients[m]) for m in self.received)

    def total(self, about: str) -> int:
        with self.lock:
            return sum(n for m, n in self.received.items() if any(about in r for r in self.recipients[m]))

    def subjects_to(self, about: str) -> list[str]:
        """The subjects of the distinct messages to addresses containing `about`, sorted."""
        with self.lock:
            return sorted(
                self.subjects[m] for m in self.received if any(about in r for r in self.recipients[m])
            )


def start_smtp() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    return controller, mailbox


def smtp_env(mailbox: Mailbox) -> dict[str, str]:
    """The notifications service's settings that point its email at this server."""
    return {"NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": str(mailbox.port)}


class Webhooks:
    """An LA's endpoint: answers 204 and keeps each CloudEvent by its webhook-id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.events: dict[str, dict[str, object]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def start(self) -> Webhooks:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kinds(self, about: str) -> Counter[str]:
        """Distinct events mentioning `about` (a URN), by kind: the alert type, else the event type."""
        with self.lock:
            out: Counter[str] = Counter()
            for event in self.events.values():
                if about not in json.dumps(event):
                    continue
                data = event.get("data")
                kind = data.get("type") if isinstance(data, dict) else None
                out[str(kind or event["type"])] += 1
            return out

    def total(self, about: str) -> int:
        with self.lock:
            return sum(n for i, n in self.received.items() if about in json.dumps(self.events[i]))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        webhooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with webhooks.lock:
                    webhooks.received[self.headers["webhook-id"]] += 1
                    webhooks.events[self.headers["webhook-id"]] = json.loads(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
