"""app.common.coalescer: concurrent submissions share a flush, one flush at a time, nothing on a timer."""

import asyncio

import pytest

from app.common.coalescer import Coalescer


class Flushes:
    """A flush that records its batches and can be held open or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_on: int | None = None

    async def __call__(self, items):
        self.batches.append(list(items))
        await self.gate.wait()
        if self.fail_on in items:
            raise ValueError(f"refused {self.fail_on}")
        return [item * 10 for item in items]


async def held(coalescer: Coalescer, first: int, then: list[int]) -> tuple[asyncio.Future, list[asyncio.Future]]:
    """Submit `first`, and `then` while its flush is held open (the caller opens the gate)."""
    leading = asyncio.ensure_future(coalescer.submit(first))
    await asyncio.sleep(0)
    following = [asyncio.ensure_future(coalescer.submit(n)) for n in then]
    await asyncio.sleep(0)
    return leading, following


async def test_a_lone_submission_is_flushed_at_once_as_a_batch_of_one():
    flushes = Flushes()
    assert await asyncio.wait_for(Coalescer(flushes).submit(4), 1) == 40
    assert flushes.batches == [[4]]


async def test_what_arrives_during_a_flush_goes_together_in_the_next():
    flushes = Flushes()
    flushes.gate.clear()
    first, rest = await held(Coalescer(flushes), 1, list(range(2, 7)))
    assert flushes.batches == [[1]]  # one flush at a time: the others wait for it
    flushes.gate.set()
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40, 50, 60]
    assert flushes.batches == [[1], [2, 3, 4, 5, 6]]


async def test_batches_are_capped():
    flushes = Flushes()
    coalescer = Coalescer(flushes, max_batch=2)
    flushes.gate.clear()
    waiting = [asyncio.ensure_future(coalescer.submit(n)) for n in range(5)]
    await asyncio.sleep(0)
    flushes.gate.set()
    assert await asyncio.gather(*waiting) == [0, 10, 20, 30, 40]
    assert flushes.batches == [[0, 1], [2, 3], [4]]


async def test_a_failed_flush_fails_its_batch_only():
    flushes = Flushes()
    coalescer = Coalescer(flushes)
    flushes.gate.clear()
    first, doomed = await held(coalescer, 1, [2, 3])
    flushes.fail_on = 3
    flushes.gate.set()
    assert await first == 10
    for future in doomed:
        with pytest.raises(ValueError, match="refused 3"):
            await future
    assert await coalescer.submit(4) == 40  # and the next submission is flushed as usual


async def test_a_submitter_that_goes_away_does_not_cancel_the_others():
    flushes = Flushes()
    flushes.gate.clear()
    leaver, [stayer] = await held(Coalescer(flushes), 1, [2])
    leaver.cancel()
    flushes.gate.set()
    assert await stayer == 20
    assert flushes.batches == [[1], [2]]
