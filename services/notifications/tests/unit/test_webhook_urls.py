"""Webhook URLs: anything http(s) while developing; production only https to public addresses."""

import pytest

from attendance_common.errors import Unprocessable
from notifications.subscriptions import check_url


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
