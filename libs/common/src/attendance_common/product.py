"""The product's name and version, as it introduces itself to the outside world (webhooks, email)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

NAME = "attendance-platform"


def _version() -> str:
    # attendance-common is in every service's image and moves with the platform's version.
    try:
        return version("attendance-common")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "0.0.0"


VERSION = _version()
USER_AGENT = f"{NAME}/{VERSION}"
