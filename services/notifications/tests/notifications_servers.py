"""Real local stand-ins for the outside world: an SMTP server (aiosmtpd) and one HTTP server that
plays GOV.UK Notify and LA webhook endpoints. Everything listens on loopback only."""

from __future__ import annotations

import asyncio
import email
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import jwt
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from attendance_common.broker import free_port

# A GOV.UK Notify API key is `<name>-<service id>-<secret>`; the client signs with the secret.
NOTIFY_SERVICE_ID = str(uuid.uuid4())
NOTIFY_SECRET = str(uuid.uuid4())
NOTIFY_API_KEY = f"local_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()


class SmtpHandler:
    """Accepts every message, except for recipients at `refused.example` (550, mailbox unavailable)."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.recipients]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpStandIn:
    """Notify's SMS endpoint and webhook endpoints under `/hooks/<name>`; `fail[path]` lists the
    statuses to answer before answering success."""

    port: int
    requests: list[Received] = field(default_factory=list)
    fail: dict[str, list[int]] = field(default_factory=dict)
    # Notify: the SMS it accepted, by reference; `lose_answers`: accept, then answer this status
    # instead of 201 (the answer lost on the way back), once per entry.
    accepted_sms: dict[str, dict[str, Any]] = field(default_factory=dict)
    lose_answers: list[int] = field(default_factory=list)
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def hook(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def webhook(self, request: Request) -> Response:
        received = Received(request.url.path, dict(request.headers), await request.body())
        self.requests.append(received)
        failures = self.fail.get(received.path)
        if failures:
            return Response(status_code=failures.pop(0))
        return Response(status_code=204)

    async def notify_sms(self, request: Request) -> Response:
        """GOV.UK Notify's `POST /v2/notifications/sms`: checks the client's JWT like Notify does."""
        refused = _notify_auth(request)
        if refused is not None:
            return refused
        body = await request.body()
        self.requests.append(Received(request.url.path, dict(request.headers), body))
        failures = self.fail.get(request.url.path)
        if failures:
            status = failures.pop(0)
            return JSONResponse({"errors": [{"error": "Error", "message": "try again"}]}, status)
        sms = json.loads(body)
        notification = {"id": str(uuid.uuid4()), "reference": sms.get("reference"), "type": "sms"}
        self.accepted_sms[str(sms.get("reference"))] = {**notification, "status": "created"}
        if self.lose_answers:
            return JSONResponse({"errors": [{"error": "Error", "message": "lost"}]}, self.lose_answers.pop(0))
        return JSONResponse({**notification, "content": {"body": "sent"}, "template": {"id": "t"}}, 201)

    async def notify_lookup(self, request: Request) -> Response:
        """GOV.UK Notify's `GET /v2/notifications?reference=`: the notifications with that reference."""
        refused = _notify_auth(request)
        if refused is not None:
            return refused
        self.requests.append(Received(request.url.path, dict(request.headers), b""))
        found = self.accepted_sms.get(request.query_params.get("reference", ""))
        return JSONResponse({"notifications": [found] if found else [], "links": {}})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/notifications/sms", self.notify_sms, methods=["POST"]),
                Route("/v2/notifications", self.notify_lookup, methods=["GET"]),
                Route("/hooks/{name}", self.webhook, methods=["POST"]),
            ]
        )


def _notify_auth(request: Request) -> Response | None:
    """Notify's check of the client's JWT; None when it holds."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, NOTIFY_SECRET, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return JSONResponse({"errors": [{"error": "AuthError", "message": "Invalid token"}]}, 403)
    if claims.get("iss") != NOTIFY_SERVICE_ID:
        return JSONResponse({"errors": [{"error": "AuthError", "message": "Invalid iss"}]}, 403)
    return None


@asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[SmtpHandler, int]]:
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@asynccontextmanager
async def http_stand_in(certfile: str | None = None) -> AsyncIterator[HttpStandIn]:
    """The stand-in over HTTP, or over HTTPS with `certfile` (its key and certificate chain)."""
    stand_in = HttpStandIn(port=free_port(), scheme="https" if certfile else "http")
    config = uvicorn.Config(
        stand_in.app(), host="127.0.0.1", port=stand_in.port, log_level="warning", ssl_certfile=certfile
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield stand_in
    finally:
        server.should_exit = True
        await task
