"""One generation at a time per loaded model, first come first served, with each waiter's place in line."""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from typing import Iterator


class Ticket:
    """A place in a GenerationQueue. `ahead()` is how many questions are before it; `wait(t)` is True once it is
    this ticket's turn. Leave the queue with `leave()` (always, also when abandoned)."""

    def __init__(self, queue: "GenerationQueue", number: int) -> None:
        self._queue = queue
        self.number = number

    def ahead(self) -> int:
        return self._queue.ahead_of(self.number)

    def wait(self, timeout: float | None = None) -> bool:
        return self._queue.wait_turn(self.number, timeout)

    def leave(self) -> None:
        self._queue.leave(self.number)


class GenerationQueue:
    """FIFO of tickets; the oldest ticket holds the model."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: list[int] = []
        self._numbers = itertools.count()

    def join(self) -> Ticket:
        with self._cond:
            number = next(self._numbers)
            self._waiting.append(number)
            return Ticket(self, number)

    def ahead_of(self, number: int) -> int:
        with self._cond:
            return self._waiting.index(number) if number in self._waiting else 0

    def wait_turn(self, number: int, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._waiting) and self._waiting[0] == number, timeout)

    def leave(self, number: int) -> None:
        with self._cond:
            if number in self._waiting:
                self._waiting.remove(number)
                self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._waiting)

    @contextmanager
    def turn(self) -> Iterator[Ticket]:
        """Wait for this caller's turn (blocking), hold it for the block."""
        ticket = self.join()
        try:
            ticket.wait()
            yield ticket
        finally:
            ticket.leave()
