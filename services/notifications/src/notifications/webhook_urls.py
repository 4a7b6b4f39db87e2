"""Where webhooks may go: http(s) while developing; production only https, to public addresses."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from attendance_common.errors import Unprocessable


def check_url(url: str, *, production: bool, allow_private: bool = False) -> None:
    """http(s) only; production: https, and to public addresses only unless `allow_private`.

    Resolves the host (blocking): call it off the event loop.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("bad_webhook_url", "the webhook URL must be an absolute http(s) URL")
    if not production:
        return
    if parts.scheme != "https":
        raise Unprocessable("bad_webhook_url", "webhook URLs must use https")
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError, ValueError) as error:
        raise Unprocessable("bad_webhook_url", f"cannot resolve {parts.hostname}") from error
    for address in addresses:
        if not ipaddress.ip_address(str(address).split("%")[0]).is_global:
            raise Unprocessable("bad_webhook_url", f"{parts.hostname} is not a public address")
