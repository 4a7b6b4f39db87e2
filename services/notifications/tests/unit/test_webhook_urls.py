"""Webhook URLs: anything http(s) while developing; production only https to public addresses."""

import pytest

from attendance_common.errors import Unprocessable
from notifications.channels import Outgoing, SendError, WebhookSender
from notifications.settings import Settings
from notifications.webhook_urls import check_url, is_public


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "https://la.example/x"]
)
def test_development_accepts_http_and_loopback(url):
    check_url(url, production=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "ftp://a/b",
    ],
)
def test_production_refuses_plain_http_and_private_or_loopback_addresses(url):
    with pytest.raises(Unprocessable) as refused:
        check_url(url, production=True)
    assert refused.value.code == "bad_webhook_url"


def test_production_accepts_https_to_a_public_address():
    check_url("https://8.8.8.8/hook", production=True)


@pytest.mark.parametrize("url", ["not a url", "/relative/path", "mailto:someone@example.com"])
def test_anything_but_an_absolute_http_url_is_refused(url):
    with pytest.raises(Unprocessable):
        check_url(url, production=False)


def test_production_may_allow_private_and_loopback_addresses_by_configuration():
    check_url("https://127.0.0.1:8443/hook", production=True, allow_private=True)
    with pytest.raises(Unprocessable):
        check_url("http://127.0.0.1:8443/hook", production=True, allow_private=True)  # still https only


def production_settings(**values):
    return Settings(
        environment="production",
        database_url="postgresql://attendance@db.internal/notifications",
        jwt_allow_hs256=True,
        jwt_secret="s" * 40,
        **values,
    )


async def test_delivery_refuses_a_loopback_address_in_production_without_sending():
    sender = WebhookSender(production_settings())
    outgoing = Outgoing(
        id="d1",
        channel="webhook",
        address="https://127.0.0.1:9/hook",
        recipient_name=None,
        subject="",
        body="{}",
        secret="whsec_eA==",
    )
    try:
        with pytest.raises(SendError) as refused:
            await sender.send(outgoing)
    finally:
        await sender.close()
    assert refused.value.permanent
    assert "not a public address" in str(refused.value)


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 (well-known prefix) to 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254, the cloud metadata service
        "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215)
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "224.0.0.1",  # multicast
        "fe80::1%eth0",
    ],
)
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "2a00:1450:4009:81f::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"],
)
def test_public_addresses_and_ipv6_forms_of_public_ipv4_ones_are_public(address):
    assert is_public(address)


@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::1]"])
def test_production_refuses_a_url_whose_ipv6_address_hides_loopback(host):
    with pytest.raises(Unprocessable):
        check_url(f"https://{host}/hook", production=True)
