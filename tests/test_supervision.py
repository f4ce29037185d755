"""The supervisor's rules for one worker's place (app/core/serving.py), on stand-ins for processes."""

import time
from types import SimpleNamespace

from app.core.serving import HUNG_SECONDS, RETRY_SECONDS, STARTUP_FAILURE, _look_after


class FakeProcess:
    def __init__(self, alive: bool, exitcode: int | None = None) -> None:
        self.alive, self.exitcode, self.pid, self.killed = alive, exitcode, 4242, False

    def is_alive(self) -> bool:
        return self.alive

    def join(self) -> None:
        pass

    def kill(self) -> None:
        self.killed = True


class FakeSlot:
    def __init__(self, process: FakeProcess | None, beat: float = 0.0) -> None:
        self.process, self.beat = process, SimpleNamespace(value=beat)
        self.failures, self.not_before, self.starts = 0, 0.0, 0

    @property
    def served(self) -> bool:
        return self.beat.value > 0

    def start(self) -> None:
        self.starts += 1
        self.beat.value = 0.0
        self.process = FakeProcess(alive=True)


def test_a_worker_that_served_and_ended_is_replaced_at_once():
    slot = FakeSlot(FakeProcess(alive=False, exitcode=-9), beat=time.monotonic())
    assert _look_after(slot, all_served_once=True) == 0
    assert slot.starts == 1


def test_a_worker_that_never_served_at_first_start_stops_the_command():
    slot = FakeSlot(FakeProcess(alive=False, exitcode=1))  # e.g. an exception in create_app: not status 3
    assert _look_after(slot, all_served_once=False) == STARTUP_FAILURE
    assert slot.starts == 0


def test_a_place_whose_worker_cannot_start_later_is_retried_with_growing_pauses():
    slot = FakeSlot(FakeProcess(alive=False, exitcode=STARTUP_FAILURE))
    pauses = []
    for _ in range(len(RETRY_SECONDS) + 2):
        before = time.monotonic()
        assert _look_after(slot, all_served_once=True) == 0
        pauses.append(round(slot.not_before - before))
        assert slot.process is None and slot.starts == 0  # not before its pause is over
        slot.process = FakeProcess(alive=False, exitcode=STARTUP_FAILURE)
    assert pauses == [*RETRY_SECONDS, RETRY_SECONDS[-1], RETRY_SECONDS[-1]]
    slot.process, slot.not_before = None, 0.0
    assert _look_after(slot, all_served_once=True) == 0 and slot.starts == 1  # pause over: started again


def test_a_worker_whose_beats_stopped_is_killed_and_a_serving_one_is_left_alone():
    hung = FakeSlot(FakeProcess(alive=True), beat=time.monotonic() - HUNG_SECONDS - 1)
    assert _look_after(hung, all_served_once=True) == 0 and hung.process.killed
    fine = FakeSlot(FakeProcess(alive=True), beat=time.monotonic())
    fine.failures = 3
    assert _look_after(fine, all_served_once=True) == 0 and not fine.process.killed
    assert fine.failures == 0  # serving again: the next failure starts from the shortest pause
