"""A TCP proxy the test controls, standing between the app and PostgreSQL.

It simulates the database going away (`down`: new connections are refused and live ones are cut),
hanging (`blackhole`: connections are accepted and never answered) and coming back (`up`).
"""

import asyncio
import contextlib


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to the real database while up; the test flips its state."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "up"
        self._thawed = asyncio.Event()
        self._thawed.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self, port: int = 0) -> "DatabaseProxy":
        """Listen (on a free port the first time, on the same port when restarted)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port or self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def up(self) -> None:
        """The database is back: listen again and forward."""
        self.mode = "up"
        self._thawed.set()
        if self._server is None:
            await self.start(self.port)

    async def down(self) -> None:
        """The database is gone: nothing listens, every open connection is cut."""
        self.mode = "down"
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.cut()

    def blackhole(self) -> None:
        """The database hangs: connections are accepted but nothing is ever forwarded."""
        self.mode = "blackhole"
        self.cut()

    def freeze(self) -> None:
        """The database stops answering on the connections already open (and new ones hang)."""
        self.mode = "blackhole"
        self._thawed.clear()

    def cut(self) -> None:
        """Drop every connection that is open now (as a network failure or a server restart would)."""
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        """Stop everything (end of test)."""
        await self.down()
        for task in list(self._tasks):
            task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.mode != "up":
            return  # blackhole: keep the socket open and silent until cut
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                await self._thawed.wait()
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.transport.abort()
