"""HTTP `Idempotency-Key`: a retried write returns the first answer; the same key with another body is 422.

Keys are scoped to the caller (`sub`) and the path, and kept 24 hours. The stored answer is
written in the same transaction as the write itself, so it exists exactly when the write does.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attendance_common.clock import now_utc
from attendance_common.db import CommonBase, UtcDateTime
from attendance_common.errors import Unprocessable

KEEP_FOR = timedelta(hours=24)


class IdempotencyRow(CommonBase):
    __tablename__ = "idempotency_keys"

    sub: Mapped[str] = mapped_column(String(200), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def stored_answer(
    session: AsyncSession, *, sub: str, path: str, key: str, request_hash: str
) -> tuple[int, Any] | None:
    """The first answer to this key, or None; 422 `idempotency_key_reused` for a different body."""
    row = await session.get(IdempotencyRow, (sub, path, key))
    if row is None:
        return None
    if row.created_at < now_utc() - KEEP_FOR:
        await session.delete(row)
        await session.flush()
        return None
    if row.request_hash != request_hash:
        raise Unprocessable(
            "idempotency_key_reused",
            f"Idempotency-Key {key!r} was first used with a different request body",
        )
    replay = _replay.get()
    if replay is not None:
        replay["replayed"] = True
    return row.status_code, json.loads(row.response)


def remember_answer(
    session: AsyncSession, *, sub: str, path: str, key: str, request_hash: str, status_code: int, body: Any
) -> None:
    """Store the answer in the caller's transaction."""
    session.add(
        IdempotencyRow(
            sub=sub,
            path=path,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response=json.dumps(body, default=str),
            created_at=now_utc(),
        )
    )


# Set by `IdempotentReplay` for each request; `stored_answer` notes a replay in it (a dict, not a
# new value, so the note reaches the middleware whatever task or context copy the route ran in).
_replay: ContextVar[dict[str, bool] | None] = ContextVar("idempotent_replay", default=None)


class IdempotentReplay:
    """ASGI middleware: an answer `stored_answer` gave back (a retried request with the same
    `Idempotency-Key`) carries `Idempotent-Replayed: true`, so the client can tell it was not
    done twice. Every route that uses `stored_answer` gets it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replay: dict[str, bool] = {}
        token = _replay.set(replay)

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start" and replay.get("replayed"):
                message = {**message, "headers": [*message.get("headers", []), REPLAYED_HEADER]}
            await send(message)

        try:
            await self.app(scope, receive, marked)
        finally:
            _replay.reset(token)


REPLAYED_HEADER = (b"idempotent-replayed", b"true")


async def purge_expired(session: AsyncSession) -> None:
    await session.execute(delete(IdempotencyRow).where(IdempotencyRow.created_at < now_utc() - KEEP_FOR))


__all__ = ["IdempotentReplay", "body_hash", "purge_expired", "remember_answer", "stored_answer"]
