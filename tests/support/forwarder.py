"""A TCP forwarder on loopback: a port that opens when the test says so,
standing in for a database server that is still starting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@contextmanager
def tcp_forwarder(listen_port: int, target_host: str, target_port: int) -> Iterator[None]:
    """Forward 127.0.0.1:``listen_port`` to ``target_host:target_port`` until the block ends."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict = {}

    async def serve_client(reader, writer) -> None:
        target_reader, target_writer = await asyncio.open_connection(target_host, target_port)
        await asyncio.gather(_pipe(reader, target_writer), _pipe(target_reader, writer))

    async def main() -> None:
        holder["server"] = await asyncio.start_server(serve_client, "127.0.0.1", listen_port)
        holder["stop"] = asyncio.Event()
        ready.set()
        await holder["stop"].wait()
        holder["server"].close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(timeout=10)
