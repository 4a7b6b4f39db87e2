"""A few long-lived SMTP connections shared by every email the delivery loop sends, instead of one
connection (TCP, EHLO, STARTTLS, login) per email: a school's weekly updates are thousands of emails
at once. Each connection sends at most `smtp_messages_per_connection` before it is replaced, as
many servers limit that; one the server closed while idle is replaced and the email tried once on
the new one."""

from __future__ import annotations

import asyncio
import socket
from email.message import Message

import aiosmtplib

from notifications.settings import Settings


class _Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.sent = 0


class SmtpPool:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.settings = settings
        self.idle: asyncio.Queue[_Connection | None] = asyncio.Queue()
        for _ in range(max(1, settings.smtp_pool_size)):
            self.idle.put_nowait(None)  # connected when first needed
        # The name this host gives in EHLO, looked up once (aiosmtplib would ask DNS per connection).
        self.local_hostname: str | None = None
        self.connections_opened = 0

    async def send(self, message: Message) -> None:
        """Send on an idle connection (waiting for one); SMTP errors are raised as aiosmtplib's."""
        connection = await self.idle.get()
        try:
            connection = await self._send(connection, message)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException):
            raise  # the server answered: the connection is still good
        except BaseException:
            await _close(connection)
            connection = None
            raise
        finally:
            self.idle.put_nowait(connection)

    async def _send(self, connection: _Connection | None, message: Message) -> _Connection:
        if connection is not None and (
            not connection.client.is_connected
            or connection.sent >= self.settings.smtp_messages_per_connection
        ):
            await _close(connection)
            connection = None
        if connection is not None:
            try:
                await connection.client.send_message(message)
            except aiosmtplib.SMTPServerDisconnected:
                await _close(connection)  # closed by the server while idle: once more, on a new one
                connection = None
        if connection is None:
            connection = await self._connect()
            await connection.client.send_message(message)
        connection.sent += 1
        return connection

    async def _connect(self) -> _Connection:
        if self.local_hostname is None:
            self.local_hostname = await asyncio.to_thread(socket.getfqdn)
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            local_hostname=self.local_hostname,
            timeout=settings.smtp_timeout_seconds,
        )
        await client.connect()
        if settings.smtp_username:
            await client.login(settings.smtp_username, settings.smtp_password or "")
        self.connections_opened += 1
        return _Connection(client)

    async def close(self) -> None:
        while not self.idle.empty():
            await _close(self.idle.get_nowait())


async def _close(connection: _Connection | None) -> None:
    if connection is None:
        return
    try:
        if connection.client.is_connected:
            await connection.client.quit()
    except (aiosmtplib.SMTPException, OSError):
        connection.client.close()
