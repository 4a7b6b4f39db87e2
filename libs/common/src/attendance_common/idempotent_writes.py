"""A write answered once: its transaction runs again when a concurrent writer won a unique-key race
(`Database.retrying`), and a request retried with the same `Idempotency-Key` gets the first answer
again (`idempotency`, which keeps the answers).

Routes parse, authorise, call and render; this is the call for a write that may be retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.db import Database
from attendance_common.idempotency import body_hash, remember_answer, stored_answer

A = TypeVar("A")
T = TypeVar("T")


@dataclass(frozen=True)
class RequestKey:
    """Whose request, to which path, under which key, and the hash of its body."""

    sub: str
    path: str
    key: str
    request_hash: str


def request_key(
    idempotency_key: str | None, sub: str, path: str, body: Callable[[], bytes]
) -> RequestKey | None:
    """The request's key, or None without an `Idempotency-Key` (`body` is read only with one)."""
    if not idempotency_key:
        return None
    return RequestKey(sub, path, idempotency_key, body_hash(body()))


@dataclass(frozen=True)
class Answer(Generic[T]):
    status_code: int
    body: Any  # the JSON answer
    written: T | None = None  # what this request's write returned; None when the answer is a replay


async def no_check(session: AsyncSession) -> None:
    """`authorise` for a write that authorises inside itself, after the replay."""


async def write_once(
    database: Database,
    key: RequestKey | None,
    authorise: Callable[[AsyncSession], Awaitable[A]],
    write: Callable[[AsyncSession, A], Awaitable[T]],
    *,
    render: Callable[[T], Any],
    status_code: int,
) -> Answer[T]:
    """In one transaction: `authorise`, then the first answer to `key` if there is one (422
    `idempotency_key_reused` for another body), else `write` with what `authorise` returned, its
    answer `render`ed and, with a key, kept in the same transaction as the write."""

    async def work(session: AsyncSession) -> Answer[T]:
        allowed = await authorise(session)
        if key is not None:
            first = await stored_answer(session, **asdict(key))
            if first is not None:
                return Answer(*first)
        written = await write(session, allowed)
        body = render(written)
        if key is not None:
            remember_answer(session, **asdict(key), status_code=status_code, body=body)
        return Answer(status_code, body, written)

    return await database.retrying(work)
