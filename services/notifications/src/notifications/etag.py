"""Conditional GETs for the parent app: a strong ETag of the body; `If-None-Match` that matches is 304."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def conditional(request: Request, body: BaseModel) -> Response:
    content = body.model_dump_json(by_alias=True).encode()
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison: `*`, or any listed tag equal to ours once `W/` is dropped."""
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags
