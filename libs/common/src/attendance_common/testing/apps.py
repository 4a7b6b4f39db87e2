"""A service's HTTP app in a test: started with its lifespan, called over ASGI by httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def started(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with its start-up done (database, routes ready) for the block."""
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def client_of(app: object, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling `app` in process, at `http://<name>`."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
        yield client
