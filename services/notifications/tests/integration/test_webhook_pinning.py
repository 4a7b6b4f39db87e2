"""A webhook connects to the address that was vetted: a host name that answers a public address to
the check and loopback afterwards (DNS rebinding) cannot steer a delivery inside, and TLS still
checks the certificate against the URL's host name. A real HTTPS server stands in for the LA."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Iterator

import httpcore
import pytest
import trustme
from notifications_servers import HttpStandIn, http_stand_in

from notifications.channels import Outgoing, SendError, WebhookSender
from notifications.settings import Settings

HOST = "hooks.la.example"


class OnlyLoopback(httpcore.AsyncNetworkBackend):
    """The network as far as this test goes: loopback is reached, anything else is out of reach."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.asked.append(host)
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"{host} is out of this test's reach")
        return await self.real.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.real.sleep(seconds)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
async def https_la(ca) -> AsyncIterator[HttpStandIn]:
    """An LA endpoint over HTTPS with a certificate for `HOST` alone (not for 127.0.0.1)."""
    with ca.issue_cert(HOST).private_key_and_cert_chain_pem.tempfile() as certfile:
        async with http_stand_in(certfile) as server:
            yield server


@pytest.fixture
def trusting(ca) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def answer(monkeypatch, answers: Iterator[str]) -> None:
    """DNS for `HOST` gives the next of `answers` at each lookup; other names resolve as usual."""
    real = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):
        if (host.decode() if isinstance(host, bytes) else host) != HOST:  # anyio passes bytes
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


def production(**values) -> Settings:
    return Settings(
        environment="production",
        database_url="postgresql://attendance@db.internal/notifications",
        jwt_allow_hs256=True,
        jwt_secret="s" * 40,
        **values,
    )


def outgoing(url: str) -> Outgoing:
    return Outgoing(
        id="d1",
        channel="webhook",
        address=url,
        recipient_name=None,
        subject="",
        body="{}",
        secret="whsec_eA==",
    )


async def test_a_name_rebinding_to_loopback_after_the_check_cannot_reach_loopback(
    monkeypatch, https_la, trusting
):
    answer(monkeypatch, iter(["8.8.8.8", *["127.0.0.1"] * 10]))  # public first, loopback after
    network = OnlyLoopback()
    sender = WebhookSender(production(), network=network, verify=trusting)
    try:
        with pytest.raises(SendError):
            await sender.send(outgoing(f"https://{HOST}:{https_la.port}/hooks/rebind"))
    finally:
        await sender.close()
    assert network.asked == ["8.8.8.8"]  # the vetted address, never the name, never loopback
    assert https_la.at("/hooks/rebind") == []


async def test_a_name_answering_loopback_is_refused_at_delivery_without_connecting(
    monkeypatch, https_la, trusting
):
    answer(monkeypatch, iter(["127.0.0.1"] * 10))
    network = OnlyLoopback()
    sender = WebhookSender(production(), network=network, verify=trusting)
    try:
        with pytest.raises(SendError) as refused:
            await sender.send(outgoing(f"https://{HOST}:{https_la.port}/hooks/loopback"))
    finally:
        await sender.close()
    assert refused.value.permanent and "not a public address" in str(refused.value)
    assert network.asked == []


async def test_tls_and_the_host_header_name_the_urls_host_while_connecting_to_its_address(
    monkeypatch, https_la, trusting
):
    answer(monkeypatch, iter(["127.0.0.1"] * 10))
    network = OnlyLoopback()  # loopback allowed by configuration: the test's LA is local
    sender = WebhookSender(production(webhook_allow_private=True), network=network, verify=trusting)
    try:
        await sender.send(outgoing(f"https://{HOST}:{https_la.port}/hooks/tls"))
    finally:
        await sender.close()
    (request,) = https_la.at("/hooks/tls")
    assert request.headers["host"] == f"{HOST}:{https_la.port}"
    assert network.asked == ["127.0.0.1"]


async def test_a_certificate_for_another_name_is_refused(monkeypatch, ca, trusting):
    answer(monkeypatch, iter(["127.0.0.1"] * 10))
    with ca.issue_cert("other.example").private_key_and_cert_chain_pem.tempfile() as certfile:
        async with http_stand_in(certfile) as other:
            sender = WebhookSender(production(webhook_allow_private=True), verify=trusting)
            try:
                with pytest.raises(SendError, match="CERTIFICATE_VERIFY_FAILED"):
                    await sender.send(outgoing(f"https://{HOST}:{other.port}/hooks/wrong-name"))
            finally:
                await sender.close()
            assert other.at("/hooks/wrong-name") == []
