"""A small TCP proxy between the services and the broker, which a test can cut and restore.

Tansu keeps everything in memory, so the broker itself is never stopped: cutting the proxy drops
every open connection and refuses new ones, which is what clients see when a broker is unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class TcpProxy:
    def __init__(self, port: int, target_port: int, host: str = "127.0.0.1") -> None:
        self.port = port
        self.target_port = target_port
        self.host = host
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self.connected = True
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    def start(self) -> TcpProxy:
        self.thread.start()
        self._call(self._serve())
        return self

    def cut(self) -> None:
        """Drop every connection and refuse new ones until `restore()`."""
        self._call(self._cut())

    def restore(self) -> None:
        self.connected = True

    def stop(self) -> None:
        self._call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    def _call(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _serve(self) -> None:
        self.server = await asyncio.start_server(self._accept, self.host, self.port)

    async def _cut(self) -> None:
        self.connected = False
        for writer in list(self.writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self.writers.clear()

    async def _stop(self) -> None:
        await self._cut()
        if self.server is not None:
            self.server.close()

    async def _accept(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        if not self.connected:
            client.transport.abort()
            return
        try:
            broker_reader, broker = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            client.transport.abort()
            return
        self.writers |= {client, broker}
        await asyncio.gather(self._pipe(client_reader, broker), self._pipe(broker_reader, client))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
