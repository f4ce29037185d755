"""Group commit in the application: requests that arrive together share one statement.

Under a rush, every first ballot costs a statement, a transaction and a WAL flush of its own, and the
per-statement work (protocol, planning, commit) is most of what PostgreSQL and asyncpg spend on it. A
`Coalescer` hands concurrent submissions to one `flush` call: at most one flush runs at a time; what
arrives while it runs waits for it and goes in the next. Nothing waits on a timer: a lone request is
flushed at once, as a batch of one, and under load batches grow as long as a flush takes.

Each submitter gets its own item's result, or the exception the whole flush raised (the flush is one
statement, so a failed flush wrote nothing for any of its items).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    """Batches concurrent `submit` calls into `flush(items) -> results` (one result per item, in order)."""

    def __init__(self, flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], max_batch: int = 256) -> None:
        self._flush, self._max_batch = flush, max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._draining is None:
            # A task of its own: a submitter that goes away (client gone) does not cancel the others' flush.
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                try:
                    results = await self._flush([item for item, _ in batch])
                except BaseException as exc:  # every submitter gets what the flush raised
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._draining = None
            for _, future in self._waiting:  # cancelled while draining: nobody will flush these
                if not future.done():
                    future.set_exception(RuntimeError("coalescer stopped"))
            self._waiting = []
