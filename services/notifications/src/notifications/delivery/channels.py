"""The outside world: SMTP (aiosmtplib), GOV.UK Notify SMS (its client) and signed webhooks (httpx).

Each sender raises SendError; `permanent` ones are not retried (e.g. the mailbox does not exist).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from typing import Protocol

import aiosmtplib
import httpcore
import httpx
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from standardwebhooks.webhooks import Webhook

from attendance_common.errors import Unprocessable
from attendance_common.product import USER_AGENT
from notifications.delivery.smtp_pool import SmtpPool
from notifications.delivery.webhook_urls import check_scheme, pinned_client
from notifications.settings import Settings


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """What a sender needs of one delivery (read in the claiming transaction)."""

    id: str
    channel: str
    address: str
    recipient_name: str | None
    subject: str
    body: str
    secret: str | None = None  # webhooks: the subscription's signing secret
    # An earlier attempt may have reached the provider (its outcome was lost): ask it by the
    # delivery's reference before sending again, where the provider can be asked (Notify).
    check_first: bool = False


class Sender(Protocol):
    async def send(self, outgoing: Outgoing) -> None: ...


class EmailSender:
    """Email over the worker's pooled SMTP connections (smtp_pool.py)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.settings = settings
        self.pool = SmtpPool(settings)

    async def send(self, outgoing: Outgoing) -> None:
        message = email_message(self.settings.smtp_from, outgoing)
        try:
            await self.pool.send(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            raise SendError(f"SMTP refused the recipient: {error}", permanent=min(codes) >= 500) from error
        except aiosmtplib.SMTPResponseException as error:
            raise SendError(f"SMTP {error.code} {error.message}", permanent=error.code >= 550) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise SendError(f"SMTP: {error!r}") from error

    async def close(self) -> None:
        await self.pool.close()


def email_message(sender: str, outgoing: Outgoing) -> Message:
    """The plain-text message, built on the `compat32` classes: the default policy's header objects
    cost 25 times as much (a tenth of the worker's CPU on a morning of first-day messages).

    UTF-8 throughout: an ASCII body goes as it is (7bit), any other as quoted-printable, and a
    subject with other characters as an encoded word. No header value can carry a line break.
    """
    charset = Charset("utf-8")
    plain = outgoing.body.isascii() and all(len(line) <= 998 for line in outgoing.body.splitlines())
    charset.body_encoding = None if plain else QP
    message = MIMEText(outgoing.body, "plain", charset)
    subject = _one_line(outgoing.subject)
    message["From"] = _one_line(sender)
    message["To"] = _one_line(outgoing.address)
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    message["Message-ID"] = f"<{outgoing.id}@attendance.notifications>"
    message["User-Agent"] = USER_AGENT
    return message


def _one_line(value: str) -> str:
    return " ".join(value.splitlines())


class SmsSender:
    """GOV.UK Notify through its official (blocking) client, run in a thread; one client per send,
    as the client is not thread-safe. The delivery id is Notify's `reference`: a send whose outcome
    was lost is looked up by it, and not repeated if Notify has it."""

    def __init__(self, settings: Settings) -> None:
        assert settings.notify_api_key
        self.api_key = settings.notify_api_key
        self.base_url = settings.notify_base_url
        self.template_id = settings.notify_sms_template_id

    async def send(self, outgoing: Outgoing) -> None:
        await asyncio.to_thread(self._send, outgoing)

    def _send(self, outgoing: Outgoing) -> None:
        client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=30)
        try:
            if outgoing.check_first and _notify_has(client, outgoing.id):
                return
            client.send_sms_notification(
                phone_number=outgoing.address,
                template_id=self.template_id,
                personalisation={"body": outgoing.body},
                reference=outgoing.id,
            )
        except APIError as error:
            # 400: Notify refused the message itself (bad number, bad template): retrying cannot help.
            raise SendError(f"Notify: {error}", permanent=error.status_code == 400) from error
        except Exception as error:  # the client lets connection errors through as requests' own
            raise SendError(f"Notify: {error!r}") from error


def _notify_has(client: NotificationsAPIClient, reference: str) -> bool:
    """Whether Notify accepted an SMS with this reference (whatever became of it since)."""
    found = client.get_all_notifications(template_type="sms", reference=reference)
    return any(n.get("reference") == reference for n in found.get("notifications", []))


class WebhookSender:
    """POST of the CloudEvent (structured JSON) signed per Standard Webhooks; the delivery id is the
    `webhook-id`, the same on every retry so receivers can deduplicate. Connections go only to the
    addresses vetted for them (webhook_urls.PinnedBackend); `network` and `verify` are for tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        network: httpcore.AsyncNetworkBackend | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.production = settings.is_production
        vet = settings.is_production and not settings.webhook_allow_private
        self.client = pinned_client(
            vet=vet, timeout=settings.webhook_timeout_seconds, verify=verify, network=network
        )

    async def send(self, outgoing: Outgoing) -> None:
        assert outgoing.secret is not None
        now = dt.datetime.now(dt.UTC)
        signature = Webhook(outgoing.secret).sign(outgoing.id, now, outgoing.body)
        headers = {
            "content-type": "application/cloudevents+json",
            "webhook-id": outgoing.id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
            "user-agent": USER_AGENT,
        }
        try:
            check_scheme(outgoing.address, production=self.production)
            response = await self.client.post(outgoing.address, content=outgoing.body, headers=headers)
        except Unprocessable as refused:
            raise SendError(f"webhook: {refused.detail}", permanent=True) from refused
        except httpx.HTTPError as error:
            raise SendError(f"webhook: {error!r}") from error
        if not response.is_success:
            raise SendError(f"webhook answered HTTP {response.status_code}")

    async def close(self) -> None:
        await self.client.aclose()


def configured_senders(settings: Settings) -> tuple[dict[str, Sender], dict[str, str]]:
    """The senders of configured channels, and why each unconfigured one is not available."""
    senders: dict[str, Sender] = {"webhook": WebhookSender(settings)}
    missing: dict[str, str] = {}
    if settings.smtp_host:
        senders["email"] = EmailSender(settings)
    else:
        missing["email"] = "email is not configured (NOTIFICATIONS_SMTP_HOST is not set)"
    if settings.notify_api_key:
        senders["sms"] = SmsSender(settings)
    else:
        missing["sms"] = "SMS is not configured (NOTIFY_API_KEY is not set)"
    return senders, missing
