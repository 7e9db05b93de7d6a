"""A fixed number of slots that coroutines take in turn, from any event loop."""

from __future__ import annotations

import asyncio
import threading
from collections import deque

from ..errors import SettingError


class Slots:
    """An async semaphore that also works across event loops and threads (asyncio's is bound
    to one loop; FastAPI's test client runs a loop per request). Waiters get slots first come,
    first served; a waiter cancelled while waiting gives up its place, or passes on the slot it
    was just handed.

    Example:
        >>> slots = Slots(2)
        >>> async def handle():
        ...     async with slots:
        ...         ...  # at most two coroutines are here at once
    """

    def __init__(self, count: int) -> None:
        if count < 1:
            raise SettingError("at least one slot")
        self._lock = threading.Lock()
        self._free = count
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = deque()

    async def __aenter__(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            loop = asyncio.get_running_loop()
            waiter = (loop, loop.create_future())
            self._waiting.append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            with self._lock:
                still_waiting = waiter in self._waiting
                if still_waiting:
                    self._waiting.remove(waiter)
            if not still_waiting:  # the slot was handed to us as we were cancelled
                self._release()
            raise

    async def __aexit__(self, *exc_info) -> None:
        self._release()

    def _release(self) -> None:
        """Hand the slot to the first waiter, or free it."""
        with self._lock:
            if not self._waiting:
                self._free += 1
                return
            loop, turn = self._waiting.popleft()
        try:
            loop.call_soon_threadsafe(_grant, turn)
        except RuntimeError:  # the waiter's loop is closed: the next one gets the slot
            self._release()


def _grant(turn: asyncio.Future) -> None:
    if not turn.done():  # a cancelled waiter passes the slot on itself
        turn.set_result(None)
